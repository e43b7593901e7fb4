"""The phrases small talk is made of and the topics no tool covers, as regular expressions over normalised
text (lower case, no punctuation, apostrophes kept); and the jokes."""

from __future__ import annotations

import re

# ---- small talk ------------------------------------------------------------------------------------
# Each kind is a set of whole phrases, matched on lower-cased text without punctuation (apostrophes kept,
# so "that's" and "thats" are both written as that'?s). An utterance is small talk when it splits into
# such phrases: "cheers that's brilliant" is thanks + compliment, "right see ya mate" filler + goodbye + filler.

# "that's", "you're", "it was"
_SUBJECT = r"(?:that|this|it|you|that one|this one)(?:'?s|'?re| is| was| are| were| has been| have been)"
_VERY = r"(?:(?:really|very|so|absolutely|just|pretty|truly|quite|super|bloody|dead|totally|simply) )*"
# praise that may be said on its own ("perfect", "lovely") or after a subject ("that's brilliant")
_PRAISE = (r"perfect|brilliant|lovely|great|awesome|excellent|fantastic|wonderful|amazing|superb|splendid|marvell?ous|"
           r"fab|fabulous|terrific|magic|magnificent|outstanding|incredible|smashing|cracking|spot on|top notch|"
           r"first class|beautiful|ideal")
# praise that needs a subject: "that was quick", "you're a star", "you're the best"
_PRAISE_OF_YOU = (r"helpful|useful|kind(?: of you)?|quick|fast|impressive|clever|smart|handy|the best|the greatest|"
                  r"on fire|(?:a |an )?(?:great|big|huge|real) help|(?:a |an )?(?:star|legend|gem|genius|lifesaver|"
                  r"life saver|diamond|angel|hero|champ|champion|treasure|godsend|wizard)|"
                  r"(?:exactly|just) what i (?:wanted|needed|was after)")

_SMALL_TALK: list[tuple[str, str]] = [  # most telling kind first: an utterance takes the first kind it says
    ("goodbye", (
        r"bye|bye bye|byebye|bye now|bye then|goodbye|good bye|cheerio|ta ra|tara|ta ta|so long|farewell|ciao|"
        r"later|laters|catch (?:you|ya) later|see (?:you|ya|ye|u)(?: (?:later|soon|tomorrow|in a bit|in the morning|"
        r"around|then|next time|again))?|(?:talk|speak)(?: to you)? (?:later|soon|tomorrow)|take care|"
        r"(?:good ?)?night(?: night)?|nighty night|nite|g'?night|sleep well|sweet dreams|cheers for now|"
        r"have a (?:good|nice|lovely|great) (?:night|evening|day|weekend|one)|"
        # closings: "that's all", "that'll be all", "that's everything", "nothing else", "i'm done"
        r"(?:that'?s|that is|that'?ll be|that will be|that was) (?:all|it|everything)(?: i (?:need(?:ed)?|wanted))?|"
        r"nothing else|(?:i'?m|i am|we'?re|we are) (?:done|finished|all done|all set|off|off to bed|going to bed|"
        r"heading (?:out|off)|done here)|sleep tight|"
        r"all done|done for (?:now|today|the day)|that'?s me(?: done| finished| off)?(?: for (?:now|today|the day|tonight))?|"
        r"off to bed|over and out|until next time|till next time|"
        r"(?:i|we) (?:have|need|must) to go|(?:i|we)'?ve got(?: to|ta) go|(?:gotta|got to|must) go")),
    ("capabilities", (
        # "what sort of things can you help me with", "what else can you do", "what do you do"
        r"(?:what|which)(?: all)?(?: (?:sort|sorts|kind|kinds|type|types) of)?"
        r"(?: (?:things|stuff|jobs|tasks|skills|commands))?(?: else)? (?:can|could|do) you(?: actually| really| even)? "
        r"(?:do|handle|manage|help(?: me| us)?(?: out)?(?: with)?)(?: for (?:me|us))?(?: exactly)?|"
        r"what are some (?:of the )?(?:things|stuff) (?:that )?you can (?:do|help(?: me| us)? with)|"
        r"what are you (?:able to (?:do|help(?: me| us)? with)|capable of|good (?:at|for)|for|here for)|"
        r"what (?:are|is) your (?:skills|capabilities|abilities|features|functions|commands|options|purpose|job)|"
        r"how (?:can|could|do|will|would|might) you help(?: me| us)?(?: out)?|"
        r"(?:can you |are you able to )?help(?: me| us)?(?: out)?|i need (?:some )?help|what are my options|"
        r"what can i (?:ask|say)(?: you)?(?: to do)?|(?:tell|show) me what you (?:can do|do)|"
        r"what (?:can|does) (?:hearth|it|this) do|what do you know how to do|how do (?:i use you|you work)|"
        r"how does this work")),
    ("identity", (
        r"who are you|what are you|what is your name|what's your name|who am i talking to|are you a robot|"
        r"tell me about yourself|introduce yourself|what should i call you|do you have a name|"
        r"are you (?:a bot|real|human|a person|an ai|a computer|a machine)|who (?:made|built|created) you")),
    ("joke", (
        r"tell (?:me |us )?(?:a |another |one more )?(?:joke|funny one|dad joke)|(?:tell me |say )?something funny|"
        r"make me laugh|(?:do you )?know any (?:good )?jokes|(?:have you )?got any (?:good )?jokes|another joke|"
        r"cheer me up")),
    ("how_are_you", (
        r"how are you(?: doing| today| doing today| keeping| getting on)?|how are ya|how're you|how (?:you|ya) doing|"
        r"how's it going|how is it going|how are things|how's things|how do you do|how (?:have|'ve) you been|"
        r"how's your day(?: going| been)?|what's up|whats up|wassup|sup|what's new|"
        r"(?:are )?you (?:alright|all right|ok|okay|well)")),
    ("nevermind", (
        r"never ?mind|forget (?:it|about it|i said (?:anything|that))|nothing|no thanks|no thank you|"
        r"cancel that request|don't worry(?: about it)?|ignore (?:me|that)|not now|(?:it )?doesn't matter|no need")),
    ("thanks", (
        # "thanks", "ta very much", "thank you so much for your help", "cheers for that", "much appreciated"
        r"(?:thanks|thank you|thank u|thankyou|thx|ty|ta|cheers|many thanks|big thanks)"
        r"(?: (?:so|very) much| a (?:lot|bunch|million|ton|heap|load)| loads| kindly| again|"
        r" for (?:that|this|everything|all that|(?:all )?(?:the|your) help|helping|asking))*|"
        r"much appreciated|(?:i )?(?:really )?appreciate (?:it|that|you|the help|your help)")),
    ("compliment", (
        rf"(?:{_SUBJECT} )?{_VERY}(?:{_PRAISE})(?: (?:stuff|news|work|job|thing))?|"
        rf"{_SUBJECT} {_VERY}(?:{_PRAISE_OF_YOU})|"
        r"(?:good|great|nice|excellent|brilliant|fantastic|top|awesome|lovely|amazing|superb) "
        r"(?:job|work|one|stuff|effort)|"
        r"well done|(?:you )?nailed it|you rock|bravo|kudos|(?:i )?love (?:it|that|this|you)|good (?:bot|robot)|"
        r"(?:much|way) better|not bad|that (?:works|did the trick)|i'?m impressed")),
    ("greeting", (
        r"hello|hallo|hullo|hi|hey|hiya|heya|howdy|yo|greetings|hey up|ey up|g'?day|morning|afternoon|evening|"
        r"(?:hello|hi|hey) (?:there|again|you|all|everyone)|good (?:morning|afternoon|evening|day)|"
        r"(?:nice|good|pleased) to (?:meet|see) you")),
    ("acknowledge", (
        r"ok|okay|okey dokey|okie dokie|cool|nice|good|got it|gotcha|alright|all right|right|sounds good|yes|yeah|"
        r"yep|yup|no|nope|nah|sorry|fine|sure|understood|noted|fair enough|i see|makes sense|no problem|no worries|"
        r"(?:that'?s|that is|it'?s|it is) (?:fine|ok|okay|alright|all right)|ok then|okay then|very good")),
    # not a kind: words said around small talk ("okay", "uh", "mate", "please", "for now")
    ("filler", (
        r"okay|ok|right|alright|so|well|oh|ah|uh|um|umm|uhm|er|erm|hmm|hm|mm|and|but|anyway|anyways|now|then|just|"
        r"hey|yeah|wow|oh well|hearth|mate|love|luv|buddy|pal|dude|man|bro|friend|my friend|sir|chief|boss|darling|"
        r"please|pls|again|too|as well|really|like|very much|for now|for today|for tonight|for the day")),
]
_SMALL_TALK_RX = re.compile("|".join(f"(?P<{kind}>{rx})" for kind, rx in _SMALL_TALK))
_RANK = {kind: i for i, (kind, _) in enumerate(_SMALL_TALK)}  # lower is more telling
_MAX_PHRASE_WORDS = 12  # the longest phrase above ("what sort of things can you actually help me out with for me")
_MAX_SMALL_TALK_WORDS = 20  # a longer utterance is a request, not small talk


# ---- out of scope ----------------------------------------------------------------------------------
# What an out-of-scope request is about: the topic (said in the reply: "Sorry, I can't <topic> yet"), a
# pattern searched in the request, and the words of tool names that cover the topic: when a registered
# tool's name or Home Assistant intent holds one of them ("HassTurnOn", "web_search"), the request is left
# to that tool.

_WEB = ("search", "web", "google", "internet", "wikipedia", "wiki", "browse", "browser", "fetch", "lookup")
# household devices a voice assistant might be asked to control
_DEVICE = (r"lights?|lamps?|kettle|oven|hob|grill|microwave|toaster|heating|heater|boiler|radiators?|thermostat|"
           r"air ?con|aircon|air conditioning|fans?|tv|telly|television|dishwasher|washing machine|washer|dryer|"
           r"tumble dryer|hoover|vacuum(?: cleaner)?|hot water|immersion|blinds|curtains|shutters|garage(?: door)?|"
           r"front door|back door|door|gate|windows?|sprinklers?|plugs?|sockets?|coffee (?:machine|maker)")
_OBJECT = r"(?:the |my |our |all the |all )?"  # before a device: "the kitchen lights", "all the lights"

Topic = tuple[str, re.Pattern[str], tuple[str, ...]]


def _topics(*rows: tuple[str, str, tuple[str, ...]]) -> list[Topic]:
    return [(topic, re.compile(rx), words) for topic, rx, words in rows]


# out of scope although they name a list or the time ("add call mom to my to-do list", "the time in Tokyo")
_BEFORE_OWN_WORDS = _topics(
    ("keep a to-do list", r"\bto ?do list\b|\btodo list\b|\btask list\b", ("todo", "todos", "task", "tasks")),
    ("tell the time in other places", r"\btime (?:is it )?in (?!here\b|there\b)[a-z]+",
     ("timezone", "timezones", "zone", "world")),
    ("set reminders", (r"\bset a reminder\b|\breminders?\b|\bremind me (?:at|on|tomorrow|tonight|in|every)\b|"
                       r"\bremind me to (?!buy|get|pick up|grab)"), ("remind", "reminder", "reminders")),
)
# words of the tools Hearth has: a request that names a list, a timer or the clock is theirs, not ours
_OWN_WORDS = re.compile(r"\b(?:lists?|timers?|time|date|day|today's|minutes?|mins?|seconds?|secs?|hours?|hrs?)\b"
                        r"|(?<!')\bclock\b")  # "clock" but not "o'clock" (an alarm time)
# how shopping-list requests start ("add", "we need", "get some", "we're out of", "do we have"): their item
# may be anything, "light bulbs" or "heating oil" included
_LIST_VERBS = re.compile(
    r"^(?:please )?(?:add|put|remove|delete|drop|take|buy|get|grab|pick up|scratch|check|cross|tick|mark|write down|"
    r"(?:we|i) (?:still )?need|need more|(?:we|i) could use|(?:can|could) (?:we|i) (?:get|buy|grab)|"
    r"(?:we|i) (?:don't|do not) need|no more|no need for|(?:we|i) (?:have|got) enough|"
    r"(?:(?:we|i)(?:'ve|'re| have| are)? )?(?:(?:run|ran|running|almost|all) )?(?:out of|low on)|"
    r"(?:i|we)(?:'ve| have)? (?:just |already )?(?:bought|got|grabbed|picked up)|"
    r"do (?:we|i) (?:still )?(?:have|need)|have (?:we|i) got)\b")
# ...unless it is plainly not about groceries: "put the kettle on", "get me a taxi", "check the weather"
_NOT_GROCERIES = re.compile(
    rf"^put (?:on )?(?:some |the |a |my )?(?:music|tunes|radio|podcast|playlist|album|film|movie|{_DEVICE})(?: on)?\b"
    r"|^(?:get|grab) (?:me |us )?(?:a |an )?(?:taxi|cab|uber|minicab)\b"
    r"|^do i need (?:a |an )?(?:coat|jacket|umbrella|brolly)\b"
    r"|^do (?:i|we) have (?:any )?(?:meetings?|appointments?|plans|(?:new )?(?:messages|emails|texts|voicemails?))\b"
    r"|^check (?:the |on the |my |what the |if it'?s |whether it'?s )?(?:weather|forecast|news|headlines|traffic|"
    r"football|scores?|stock market|stocks|emails?|messages|texts|calendar|diary)\b")
# leading words that ask politely; anchored patterns below match after them ("do you know who won...")
_ASKING = re.compile(r"^(?:(?:okay|ok|right|alright|so|um|uh|er|erm|well|oh|hey|hi|hearth|please|and|but|now|"
                     r"actually|just|quick question|can you|could you|would you|will you|i want you to|"
                     r"i need you to|i need to|i want to|i'd like to|i would like to|tell me|do you know|"
                     r"any idea|you know|i wonder|go ahead and|let's|lets)\s+)+")

_OUT_OF_SCOPE = _topics(
    ("check the weather", (
        r"\b(?:weather|forecast|rain(?:ing|y)?|snow(?:ing)?|sunny|sunshine|umbrella|temperature outside|"
        r"temperature (?:today|tomorrow)|how (?:hot|cold|warm) is it|humid(?:ity)?|wind(?:y)?|storms?|thunder|"
        r"foggy|hail|sleet|drizzle|pollen|uv index|heatwave|(?:cold|hot|warm|nice|chilly|freezing) outside|"
        r"what's it like outside|do i need (?:a |an )?(?:coat|jacket|umbrella))\b"),
     ("weather", "forecast", *_WEB)),
    ("read the news", r"\b(?:news|headlines?|current events|(?:happening|going on) in the world)\b",
     ("news", "headline", "headlines", "rss", *_WEB)),
    ("look up scores or results", (
        r"\b(?:who won|score|scores|game last night|match last night|standings|fixtures|premier league|world cup|"
        r"who(?:'s| is) winning|did \w+(?: \w+)? win|(?:football|soccer|rugby|cricket|tennis|basketball|baseball|"
        r"hockey|golf|f1|formula one) (?:results?|scores?|match|game))\b"),
     ("score", "scores", "sport", "sports", "football", "results", "fixtures", *_WEB)),
    ("check the markets", (
        r"\b(?:stocks?|stock market|share price|bitcoin|crypto|exchange rate|currency|"
        r"(?:dollars?|euros?|pounds?|sterling|yen) (?:to|in|into|against) (?:the )?(?:dollars?|euros?|pounds?|"
        r"sterling|yen))\b"),
     ("stock", "stocks", "market", "markets", "shares", "crypto", "bitcoin", "currency", "exchange", "finance",
      *_WEB)),
    ("look up calories or nutrition", (
        r"\b(?:calories|kcal|nutrition(?:al)?)\b|^how (?:many|much) (?:protein|fat|sugar|carbs|carbohydrates|fibre|"
        r"fiber|salt|sodium|caffeine|iron|calcium) (?:is |are )?(?:there )?in\b"),
     ("nutrition", "calories", "calorie", "food", *_WEB)),
    ("set alarms at a clock time", r"\b(?:alarms?|wake me(?: up)?)\b", ("alarm", "alarms", "wake")),
    ("play music or media", (
        r"^play\b|\bplay (?:some |a |the |me )?(?:music|song|songs|radio|podcast|playlist|video)\b|\bplay \w+ by\b|"
        r"^put (?:on )?(?:some |the |a |my )?(?:music|tunes|radio|podcast|playlist|album|film|movie)\b|"
        r"\b(?:volume|louder|quieter|shuffle|spotify|youtube|netflix|iplayer|audiobook|podcasts?|"
        r"(?:next|previous|skip (?:this|the)) (?:song|track)|pause the (?:music|song|radio|film|movie)|"
        r"resume the music|what song is (?:this|playing)|who sings this|what's on (?:tv|telly|the telly|netflix)|"
        r"listen to (?:some |the |a )?(?:music|radio|podcast|song|album))\b"),
     ("play", "music", "media", "player", "song", "songs", "radio", "volume", "spotify", "podcast", "playlist",
      "track")),
    ("control lights or devices", (
        # "turn on the kitchen lights", "turn the oven on to 180", "switch the kettle on", "lights off"
        # (not "turn it off", "turn off" alone: a follow-up, maybe a ringing timer's)
        r"\b(?:turn|switch|flick|power) (?:on|off|up|down) (?!(?:it|that|this|them|everything)\b)\w+|"
        r"\b(?:turn|switch|flick|power) (?!(?:it|that|this|them|everything)\b)(?:\w+ ){1,6}(?:on|off|up|down)\b|"
        rf"\b(?:preheat|dim|brighten|lock|unlock|open|close|shut|start|run|boil|set|put|heat|warm|cool|activate|"
        rf"deactivate|change) (?:up |on |off )?{_OBJECT}(?:\w+ )?(?:{_DEVICE})\b|"
        rf"\b(?:{_DEVICE}) (?:on|off|up|down|out)$|\b(?:is|are) {_OBJECT}(?:\w+ )?(?:{_DEVICE}) (?:on|off|open|"
        r"closed|locked|unlocked|running)\b|\bmake it (?:warmer|cooler|colder|hotter|brighter|darker)\b|"
        r"\b(?:lights?(?! bulbs?)|heating|thermostat|vacuum|preheat)\b"),
     ("turn", "switch", "light", "lights", "lamp", "device", "devices", "thermostat", "climate", "heating", "hvac",
      "oven", "appliance", "appliances", "plug", "lock", "unlock", "vacuum", "blinds", "cover", "covers", "fan")),
    ("make calls or send messages", (
        r"\b(?:call|phone|text|texts|message|messages|email|emails|e mail|send a|facetime|whatsapp|skype|video call|"
        r"voicemail|dial)\b|^ring (?:up )?(?!the\b)\w+|\bgive \w+(?: \w+)? a (?:ring|call|bell|buzz)\b|"
        r"\blet (?!me\b|us\b)\w+ know\b|^tell (?!me\b|us\b)\w+ (?:that )?(?:i'?m|i am|we'?re|we are|i'?ll|we'?ll)\b"),
     ("call", "phone", "sms", "text", "message", "messages", "email", "mail", "whatsapp", "telegram", "notify",
      "contact", "contacts", "slack", "signal")),
    ("order or book things", (
        r"\border (?:me |us )?(?:a |an |some |the )?(?:\w+ ){0,2}(?:pizza|curry|chinese|indian|thai|takeaway|"
        r"take away|takeout|food|dinner|lunch|breakfast|taxi|cab|uber|delivery|groceries|sushi|burgers?|kebab)\b|"
        r"^(?:get|grab|call|ring) (?:me |us )?(?:a |an )?(?:taxi|cab|uber|minicab)\b|"
        r"\bbook (?:me |us )?(?:a |an |the )?(?:\w+ )?(?:table|taxi|cab|appointment|haircut|flights?|hotel|room|"
        r"doctor|doctor's|dentist|tickets?|holiday|trip|train|restaurant|massage)\b|\bbook (?:a|me|us)\b|"
        r"\b(?:make a (?:reservation|booking)|reserve (?:a|an|the|me)|deliveroo|just eat|uber eats|doordash)\b"),
     ("order", "orders", "book", "booking", "bookings", "reservation", "reservations", "reserve", "delivery", "taxi",
      "restaurant", "tickets")),
    ("check your calendar", (
        r"\b(?:calendar|diary|agenda|appointments?|meetings?)\b|\bwhat's on (?:my )?(?:schedule|agenda)\b"),
     ("calendar", "event", "events", "appointment", "appointments", "schedule", "agenda", "meeting", "meetings")),
    ("check traffic", (
        r"\b(?:traffic|commute|directions|navigate|train times|bus times|next (?:train|bus)|how do i get to)\b"),
     ("traffic", "route", "routes", "directions", "map", "maps", "travel", "transit", "commute", *_WEB)),
    ("look things up on the internet", r"\b(?:search the web|search online|google|look up|wikipedia|browse)\b",
     _WEB),
    ("look up recipes", (
        r"\brecipes?\b|\bhow (?:do|can|should) (?:i|you|we) (?:make|cook|bake|prepare)\b|"
        r"\bhow long (?:do|does|should) (?:i|you|we) (?:cook|boil|bake|roast|fry|grill|steam)\b|"
        r"\bwhat (?:can|should) (?:i|we) (?:make|cook) (?:with|for)\b"),
     ("recipe", "recipes", "cook", "cooking", "meal", "meals", *_WEB)),
    ("translate or define words", (
        r"^translate\b|^define\b|^(?:what's|what is) the (?:definition|plural|opposite) of\b|"
        r"^what does (?!that\b|this\b|it\b)(?:\w+ ){1,3}mean\b|^how do (?:you|i|we) (?:spell|pronounce|say) \w+|"
        r"^spell \w+$"),
     ("translate", "translation", "dictionary", "define", "definition", *_WEB)),
    ("answer questions about the world", (
        # not "when is the rice done": a question about a timer
        r"^(?:who|where|why)(?:'s| is| was| are| were| did| does| do| won| wrote| invented| discovered| painted|"
        r" sang| sings| directed| founded| created| built| owns| plays| played| scored| said)\b|"
        r"^when (?:was|were|did)\b|"
        r"^(?:what|what's|whats|what is|what was|what are) (?:the |a |an )?(?:capital|population|meaning|height|"
        r"length|distance|speed|size|area|currency|language|boiling point|melting point|tallest|"
        r"biggest|largest|longest|highest|deepest|smallest|oldest|fastest|richest|name of|difference between|"
        r"origin of|circumference)\b|"
        r"^how (?:old|tall|far|big|high|deep|heavy|fast|wide|large|small|many people) "
        r"(?:is|are|was|were|does|do|live)\b|"
        r"\b(?:fun fact|random fact|trivia)\b"),
     ("wikipedia", "wiki", "knowledge", "encyclopedia", "facts", *_WEB)),
    ("do maths", (
        r"\b\d+(?:\.\d+)? (?:plus|minus|times|divided by|multiplied by|x|over) \d+|\bsquare root\b|"
        r"\b\d+ (?:percent|per cent) of\b|\b\d+ (?:squared|cubed)\b"),
     ("calculator", "calculate", "math", "maths", "calc", "compute", "arithmetic")),
    ("convert units", (
        r"^convert\b|^how many (?:grams|ounces|oz|cups|tablespoons|teaspoons|ml|millilitres|milliliters|litres|"
        r"liters|pints|pounds|lbs|kilos|kilograms|stone|miles|kilometres|kilometers|km|feet|inches|metres|meters|"
        r"centimetres|centimeters|cm) (?:are |is )?(?:there )?in\b|"
        r"\bin (?:kilos|kilograms|pounds|grams|ounces|cups|millilitres|litres|liters|"
        r"miles|kilometres|kilometers|feet|inches|metres|meters|centimetres|centimeters)$"),
     ("convert", "conversion", "units", "unit", "calculator", "calculate")),
)

JOKES = [
    "Why did the tomato blush? Because it saw the salad dressing.",
    "I told my fridge a joke. It was a little cold.",
    "Why don't eggs tell jokes? They'd crack each other up.",
]
