"""Voice: `hearth listen / say / transcribe` with the real engines (piper speaks the requests,
faster-whisper tiny.en hears them), the [speech] settings, WAV reading, and the error paths.

Piper's voice varies a little from run to run (its noise is random), so the requests and replies use
words tiny.en heard right 5 times in 5 (bread, butter); "Add milk" comes out "and milk", and
"Added apples" as "adaptables".
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from hearth import Agent, ModelLoadError, Storage
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.errors import ConfigError
from hearth.pluginmanager import PluginManager
from hearth.voice.devices import check_microphone
from hearth.voice.loop import VoiceLoop
from hearth.voice.sentences import SentenceSplitter
from hearth.voice.sinks import MemorySink
from hearth.voice.speech import (
    AudioError,
    MicrophoneError,
    SpeechConfig,
    SpeechEngineError,
    SttConfig,
    TtsConfig,
    VoiceConfig,
    read_wav,
    speech_config,
    stt_engine,
    write_wav,
)

HEARTH = str(Path(sys.executable).with_name("hearth"))
REPO = Path(__file__).resolve().parent.parent
PLUGINS = "shopping_list,faster_whisper,piper"


@pytest.fixture(autouse=True)
def voice_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", PLUGINS)
    monkeypatch.delenv("HEARTH_MODELS", raising=False)
    monkeypatch.delenv("HEARTH_DATABASE_URL", raising=False)


def hearth(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([HEARTH, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


def events(proc: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


# ---- engines shared by the slow tests (loaded once, as the plugins cache them) --------------------------


@pytest.fixture(scope="session")
def piper():
    from hearth.plugins.piper import Piper
    engine = Piper(TtsConfig())
    engine.load()
    return engine


@pytest.fixture(scope="session")
def whisper():
    from hearth.plugins.faster_whisper import FasterWhisper
    engine = FasterWhisper(SttConfig())
    engine.load()
    return engine


def still(piper, text: str) -> bytes:
    """``text`` spoken without piper's random noise, so a request sounds the same every run."""
    from piper import SynthesisConfig
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    return b"".join(c.audio_int16_bytes for c in piper._voice.synthesize(text, syn_config=config))


@pytest.fixture
def speak(piper, tmp_path):
    """speak("name.wav", "text", 1.5, "text") -> a WAV (piper's 22.05 kHz) of sentences and pauses (seconds)."""
    def make(name: str, *parts: str | float) -> Path:
        pcm = b"".join(b"\0\0" * int(piper.sample_rate * p) if isinstance(p, float) else still(piper, p)
                       for p in (0.3, *parts, 0.3))
        path = tmp_path / name
        write_wav(path, pcm, piper.sample_rate)
        return path
    return make


def heard(whisper, path: Path) -> str:
    return whisper.transcribe(read_wav(path), 16000)


async def read_list() -> list[dict]:
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=placeholder, storage=Storage())
    return (await agent.run_tool("get_shopping_list", {})).result["items"]


def shopping_list() -> list[dict]:
    """The shopping list in this test's HEARTH_HOME, as the tool reads it."""
    return asyncio.run(read_list())


# ---- the voice loop end to end: hearth listen --input --output -----------------------------------------


@pytest.mark.slow
def test_spoken_request_lands_on_the_list_and_the_reply_names_it(speak, whisper, tmp_path):
    request = speak("request.wav", "Add bread to the shopping list.")

    proc = hearth("listen", "--input", str(request), "--output", str(tmp_path / "reply.wav"))

    assert proc.returncode == 0, proc.stderr
    assert shopping_list() == [{"name": "bread", "quantity": 1, "checked": False}]
    # the reply is Hearth's own piper, with its random noise: it must name the item
    assert "bread" in heard(whisper, tmp_path / "reply.wav").lower()


@pytest.mark.slow
def test_json_lines_tell_the_voice_turn_with_its_timings(speak, tmp_path):
    request = speak("request.wav", "Add bread to the shopping list.")

    proc = hearth("listen", "--input", str(request), "--output", str(tmp_path / "reply.wav"), "--json")

    evs = events(proc)
    assert [e["type"] for e in evs] == ["speech_started", "transcript", "started", "routed", "tool_call", "tool_result",
                                        "text_delta", "finished", "voice_timings"]
    transcript, finished, timings = evs[1], evs[7], evs[8]
    assert transcript["text"] == "Add bread to the shopping list."
    assert timings["reply_turn_id"] == finished["turn_id"]
    t = timings["timings"]
    assert set(t) == {"stt_ms", "first_token_ms", "first_audio_ms", "end_to_first_audio_ms", "audio_in_s", "audio_out_s"}
    assert t["end_to_first_audio_ms"] >= t["stt_ms"] + t["first_token_ms"] + t["first_audio_ms"] - 1
    with wave.open(str(tmp_path / "reply.wav")) as w:
        # the reply's own length plus the pause written after it
        assert abs(w.getnframes() / w.getframerate() - (t["audio_out_s"] + 0.5)) < 0.01


@pytest.mark.slow
def test_a_request_for_the_model_is_answered_by_llama_cpp_in_the_voice_process(speak, tmp_path, monkeypatch):
    """The VAD and llama.cpp share the process: no second libggml may be loaded (see Vad)."""
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", PLUGINS + ",llamacpp")
    request = speak("request.wav", "Tell me something nice about bread.")

    proc = hearth("listen", "--input", str(request), "--output", str(tmp_path / "reply.wav"), "--json", timeout=300)

    evs = events(proc)
    routed = next(e for e in evs if e["type"] == "routed")
    assert routed["tier"] in (2, 3) and routed["model"] == "gemma3-270m"
    assert [e["type"] for e in evs if e["type"] in ("finished", "failed")] == ["finished"], proc.stdout[-2000:]


@pytest.mark.slow
def test_two_requests_in_one_file_get_two_replies(speak, whisper, tmp_path):
    request = speak("two.wav", "Add bread to the shopping list.", 1.5, "Put butter on my shopping list.")

    proc = hearth("listen", "--input", str(request), "--output", str(tmp_path / "reply.wav"), "--json")

    assert [e["text"] for e in events(proc) if e["type"] == "finished"] == [
        "Added bread to your shopping list.", "Added butter to your shopping list."]
    assert [i["name"] for i in shopping_list()] == ["bread", "butter"]
    said = heard(whisper, tmp_path / "reply.wav").lower()
    assert "bread" in said and "butter" in said and said.index("bread") < said.index("butter"), said


@pytest.mark.slow
def test_a_44_1_khz_stereo_recording_is_resampled(speak, tmp_path):
    mono = speak("request.wav", "Put butter on my shopping list.")
    stereo = tmp_path / "stereo.wav"
    subprocess.run(["sox", str(mono), "-r", "44100", "-c", "2", "-b", "16", str(stereo)], check=True)
    with wave.open(str(stereo)) as w:
        assert (w.getframerate(), w.getnchannels()) == (44100, 2)

    proc = hearth("listen", "--input", str(stereo), "--output", str(tmp_path / "reply.wav"))

    assert proc.returncode == 0, proc.stderr
    assert [i["name"] for i in shopping_list()] == ["butter"]


@pytest.mark.slow
def test_silence_only_is_no_request(tmp_path):
    silence = tmp_path / "silence.wav"
    write_wav(silence, b"\0\0" * 16000 * 3, 16000)

    proc = hearth("listen", "--input", str(silence), "--output", str(tmp_path / "reply.wav"), "--json")

    assert (proc.returncode, events(proc)) == (0, [])
    with wave.open(str(tmp_path / "reply.wav")) as w:
        assert w.getnframes() == 0


@pytest.mark.slow
def test_noise_only_is_no_request(tmp_path):
    noise = tmp_path / "noise.wav"
    rng = np.random.default_rng(0)
    write_wav(noise, rng.normal(0, 3000, 16000 * 3).astype("<i2").tobytes(), 16000)

    proc = hearth("listen", "--input", str(noise), "--output", str(tmp_path / "reply.wav"), "--json")

    assert (proc.returncode, events(proc)) == (0, [])


@pytest.mark.slow
def test_babble_without_words_is_an_empty_utterance_and_listening_goes_on(piper, speak, tmp_path):
    # six overlapped copies of a sentence: voice activity, but no words Whisper will stand behind;
    # piper without its random noise, so the babble is the same every run
    from piper import SynthesisConfig

    from hearth.voice.speech import resample
    still = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    pcm = b"".join(c.audio_int16_bytes for c in piper._voice.synthesize("Add bread to the shopping list.", syn_config=still))
    one = np.frombuffer(resample(pcm, piper.sample_rate), "<i2")
    shifts = np.random.default_rng(1).integers(0, len(one), 6)
    babble = (sum(np.roll(one, int(k)) for k in shifts) / 3).astype("<i2")
    request = np.frombuffer(read_wav(speak("request.wav", "Put butter on my shopping list.")), "<i2")
    path = tmp_path / "babble.wav"
    write_wav(path, np.concatenate([np.zeros(4800, "<i2"), babble, np.zeros(24000, "<i2"), request]).tobytes(), 16000)

    proc = hearth("listen", "--input", str(path), "--output", str(tmp_path / "reply.wav"), "--json")

    evs = events(proc)
    assert [(e["code"], e["message"]) for e in evs if e["type"] == "voice_error"] == [
        ("empty_utterance", "I heard a sound but no words; speak a little closer to the microphone and try again.")]
    assert [e["text"] for e in evs if e["type"] == "finished"] == ["Added butter to your shopping list."]
    assert proc.returncode == 1


@pytest.mark.slow
def test_wake_word_gates_the_request(speak, tmp_path):
    request = speak("wake.wav", "Okay Nabu.", 0.4, "Add bread to the shopping list.")

    proc = hearth("listen", "--input", str(request), "--output", str(tmp_path / "reply.wav"), "--json",
                  "--wake-word", "okay_nabu")

    evs = events(proc)
    assert [e["name"] for e in evs if e["type"] == "wake_word"] == ["Okay Nabu"]
    assert [e["text"] for e in evs if e["type"] == "transcript"] == ["Add bread to the shopping list."]


@pytest.mark.slow
def test_without_the_wake_word_nothing_is_answered(speak, tmp_path):
    request = speak("request.wav", "Add bread to the shopping list.")

    proc = hearth("listen", "--input", str(request), "--output", str(tmp_path / "reply.wav"), "--wake-word", "okay_nabu")

    assert proc.returncode == 0
    assert "heard no wake word 'Okay Nabu'" in proc.stderr
    assert shopping_list() == []


@pytest.mark.slow
async def test_talking_over_the_reply_stops_it(piper, whisper, speak):
    """Barge-in, in real time: the second request starts while the first reply is being spoken."""
    from hearth.plugins.faster_whisper import FasterWhisper
    from hearth.plugins.piper import Piper
    from hearth.voice.speech import Speech
    first = read_wav(speak("one.wav", "Put butter on my shopping list."))
    second = read_wav(speak("two.wav", "Add bread to the shopping list, and then tell me what is on it, please."))
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=placeholder, storage=Storage())
    speech = Speech(FasterWhisper(SttConfig()), Piper(TtsConfig()))
    await speech.load()
    sink = MemorySink(speech.sample_rate, realtime=True)
    seen = []
    loop = VoiceLoop(agent, speech, VoiceConfig(wake_word=""), sink, session="kitchen", emit=seen.append, overlap=True)
    await agent.start(load_model=False)
    try:
        await loop.feed(first)
        while not sink.pcm:  # the first reply has begun to play
            await loop.feed(b"\0\0" * 512)
            await asyncio.sleep(512 / 16000)
        for i in range(0, len(second), 1024):  # the person talks over it, at speaking pace
            await loop.feed(second[i:i + 1024])
            await asyncio.sleep(512 / 16000)
        await loop.feed(b"\0\0" * 16000)
        await loop.finish()
    finally:
        await agent.stop()
    barge = [e for e in seen if e.type == "barge_in"]
    assert len(barge) == 1
    full_reply = len(b"".join(piper.synthesize("Added butter to your shopping list."))) / 2 / piper.sample_rate
    assert barge[0].spoken_s < full_reply
    assert [e.text for e in seen if e.type == "transcript"][0].rstrip(".") == "Put butter on my shopping list"
    # the interrupted turn still finished, and the request said over it ran too (its two clauses are read
    # on tier 1: "add bread to the shopping list, and then tell me what is on it")
    assert [i["name"] for i in await read_list()] == ["butter", "bread"]


# ---- say and transcribe ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_say_then_transcribe_round_trip(tmp_path):
    out = tmp_path / "hello.wav"

    said = hearth("say", "Put butter on my shopping list.", "--output", str(out), "--json")
    back = hearth("transcribe", str(out), "--json")

    assert said.returncode == 0, said.stderr
    assert json.loads(said.stdout)["rate"] == 22050
    # say writes no lead-in silence, and piper's voice varies from run to run (its noise): tiny.en then
    # sometimes writes the first word in lower case or mishears it ("Hook butter ..."); the rest is stable
    assert json.loads(back.stdout)["text"].lower().endswith("butter on my shopping list.")


# ---- errors -----------------------------------------------------------------------------------------------


def test_truncated_wav_header_is_a_clear_error(tmp_path, speak):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(speak("ok.wav", "Hello.").read_bytes()[:30])

    with pytest.raises(AudioError) as err:
        read_wav(broken)

    assert err.value.code == "audio_unreadable"
    assert str(err.value).startswith(f"{broken} is not a readable WAV file (")
    proc = hearth("listen", "--input", str(broken), "--output", str(tmp_path / "reply.wav"))
    assert proc.returncode == 1
    assert f"{broken} is not a readable WAV file" in " ".join(proc.stderr.split())


def test_missing_input_file(tmp_path):
    with pytest.raises(AudioError) as err:
        read_wav(tmp_path / "nope.wav")
    assert (err.value.code, str(err.value)) == ("audio_missing", f"{tmp_path / 'nope.wav'}: no such file")


def test_44_1_khz_stereo_is_read_as_16_khz_mono(tmp_path):
    t = np.arange(44100) / 44100
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.stack([tone, tone], axis=1).tobytes())

    pcm = np.frombuffer(read_wav(path), "<i2")

    assert abs(len(pcm) - 16000) <= 32
    spectrum = np.abs(np.fft.rfft(pcm[:16000]))
    assert int(np.argmax(spectrum)) == 440  # 1 Hz bins over one second: the tone survived


@pytest.mark.parametrize("engine, config, message", [
    ("stt", SttConfig(model="/nowhere/whisper"), "the Whisper model folder /nowhere/whisper does not exist; fix "
     "[speech.stt] model in models.toml (or remove it to use the default)"),
    ("tts", TtsConfig(voice="/nowhere/voice.onnx"), "the piper voice /nowhere/voice.onnx does not exist; fix "
     "[speech.tts] voice in models.toml (or remove it to use the default)"),
    ("stt", SttConfig(model="package:large-v3"), "unknown packaged Whisper model 'large-v3' in [speech.stt] model; "
     "known: package:tiny.en, or give a model folder"),
])
def test_missing_model_path_is_a_clear_error(engine, config, message):
    from hearth.plugins.faster_whisper import FasterWhisper
    from hearth.plugins.piper import Piper

    with pytest.raises(ModelLoadError) as err:
        (FasterWhisper if engine == "stt" else Piper)(config).load()

    assert (err.value.code, str(err.value)) == ("speech_model_missing", message)


def test_missing_model_path_stops_listen_before_it_starts(tmp_path, speak):
    toml = tmp_path / "models.toml"
    toml.write_text((REPO / "agent" / "models.toml").read_text() + '\n[speech.stt]\nmodel = "/nowhere/whisper"\n')

    proc = hearth("transcribe", str(speak("r.wav", "Hello.")), "--models", str(toml))

    assert proc.returncode == 1
    assert "the Whisper model folder /nowhere/whisper does not exist" in " ".join(proc.stderr.split())


def test_no_microphone_is_a_clear_error():
    import sounddevice as sd
    try:
        sd.query_devices(kind="input")
        pytest.skip("this machine has a microphone")
    except sd.PortAudioError:
        pass
    with pytest.raises(MicrophoneError) as err:
        check_microphone()
    assert err.value.code == "no_microphone"

    proc = hearth("listen")

    assert proc.returncode == 1
    assert " ".join(proc.stderr.split()) == (
        "error: no microphone found (Error querying device -1); connect one (`python -m sounddevice` lists devices), "
        "pick one with --device, or give a recording with --input request.wav")


def test_unknown_engine_names_the_loaded_ones():
    pm = PluginManager()
    pm.load()

    with pytest.raises(SpeechEngineError) as err:
        stt_engine(pm, SttConfig(engine="wyoming"))

    assert str(err.value).startswith("no STT engine named 'wyoming' is loaded (loaded: faster-whisper); ")


def test_unknown_wake_word_is_refused(tmp_path):
    silence = tmp_path / "s.wav"
    write_wav(silence, b"\0\0" * 1600, 16000)

    proc = hearth("listen", "--input", str(silence), "--output", str(tmp_path / "r.wav"), "--wake-word", "hey_hearth")

    assert proc.returncode == 1
    assert "no wake word model 'hey_hearth': use one of okay_nabu, hey_jarvis, hey_mycroft, alexa" in " ".join(proc.stderr.split())


# ---- configuration ---------------------------------------------------------------------------------------


def test_no_speech_table_gives_working_defaults():
    cfg = speech_config(None)

    assert cfg == SpeechConfig()
    assert (cfg.stt.engine, cfg.stt.model, cfg.stt.beam_size, cfg.tts.engine, cfg.tts.voice, cfg.voice.vad) == (
        "faster-whisper", "package:tiny.en", 5, "piper", "package:en_US-joe-medium", "silero")


def test_shipped_models_toml_speech_tables_are_the_defaults():
    from hearth.voice.speech import load_speech_config

    assert not (REPO / "models.toml").exists()  # one models.toml: the one shipped in the package
    assert load_speech_config(REPO / "agent" / "models.toml") == SpeechConfig()


def test_speech_config_errors_name_file_table_and_key():
    with pytest.raises(ConfigError) as err:
        speech_config({"stt": {"beam": 5}, "voice": {"silence_s": -1}, "tss": {}}, "/x/models.toml")

    assert str(err.value).splitlines() == [
        "/x/models.toml: [speech.stt] key 'beam': unknown key",
        "/x/models.toml: [speech.voice] key 'silence_s': Input should be greater than 0",
        "/x/models.toml: [speech] key 'tss': unknown key",
    ]


@pytest.mark.parametrize("deltas, sentences", [
    (["Added milk", " to your list. Anything", " else?"], ["Added milk to your list.", "Anything else?"]),
    (["It costs 3.50 euros. ", "Done"], ["It costs 3.50 euros.", "Done"]),
    (["One\n", "two"], ["One", "two"]),
    (['He said "stop." Then', " left."], ['He said "stop."', "Then left."]),
])
def test_sentences_are_cut_as_text_streams(deltas, sentences):
    splitter = SentenceSplitter()

    got = [s for d in deltas for s in splitter.feed(d)] + splitter.flush()

    assert got == sentences


def test_first_sentence_is_ready_before_the_rest_arrives():
    splitter = SentenceSplitter()

    assert splitter.feed("Added milk to your list. Any") == ["Added milk to your list."]
    assert splitter.feed("thing else") == []


def test_a_failed_turn_is_spoken_as_a_sentence_not_a_log_line():
    from hearth.voice.sentences import spoken_failure
    assert spoken_failure("The message is empty; say or type something.") == "The message is empty; say or type something."
    generic = "Sorry, I could not answer that. The details are in Hearth's log."
    assert spoken_failure("/work/main/agent/models.toml: [models.x] backend 'llamacpp' is not available") == generic
    assert spoken_failure("RuntimeError: Failed to load shared library") == generic
