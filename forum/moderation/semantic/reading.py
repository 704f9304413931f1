"""Who a sentence is about, and when: the writer now, someone else now, the writer's past, or
someone being spoken to. A sentence model matches topic; these cheap checks match person.

English and Spanish. Everything here is lowercase, accent-folded word lists, so "tú" and "tu",
"está" and "esta" read alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WRITER, OTHER, ADDRESSED, HISTORY, HOPE, NEGATED = (
    "writer", "other", "addressed", "history", "hope", "negated")

# Longer than this, an unpunctuated stretch is read in overlapping windows (the model reads
# 128 tokens at most, and a buried sentence must not be diluted by the rest).
WINDOW_WORDS, WINDOW_STEP = 32, 20
_SPLIT = re.compile(r"(?<=[.!?…])\s+|\s*[;\n]\s*|(?<=[.!?])(?=[A-Za-z¿¡])")
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A piece of the writer's own words, with its span in the original text."""

    text: str
    span: tuple[int, int]


def fold(text: str) -> str:
    """Lowercase without accents; the curly apostrophe becomes a straight one."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    """The folded words of a text."""
    return _WORD.findall(fold(text))


_SPANISH = frozenset((
    "que de el la los las y es en no me mi mis ya por para con una un lo se te tengo pero mas "
    "muy todo nada porque cuando esta estoy quiero puedo hoy ayer anoche nadie tambien como "
    "del al su sus le les estar hacer voy vida solo sola eso esto aqui alguien otra vez hola "
    "gracias pastillas tome aguanto quiere amigo amiga neta tio wey guey bueno pues ahora "
    "siempre nunca mejor morir vivir ayuda favor manana noche dia dias anos nos").split())
_ENGLISH = frozenset((
    "the i to and a of is my it in that you me im just not for this have but so be dont can "
    "was with what at all on do are if like its ive about get been want know they he she "
    "tonight today anymore feel").split())


def language_of(text: str, hint: str | None = None) -> str:
    """"es" when a text reads as Spanish (more of its common words, and its accents and
    inverted marks, are Spanish), else "en"; a tie goes to `hint` (the writer's language)."""
    words = words_of(text)
    spanish = sum(w in _SPANISH for w in words) + sum(c in "ñáéíóú¿¡" for c in text.lower())
    english = sum(w in _ENGLISH for w in words)
    if spanish == english and hint:
        return "es" if hint.startswith("es") else "en"
    return "es" if spanish > english else "en"


def _own_lines(text: str) -> list[tuple[int, int]]:
    """Spans of the lines that are the writer's own: a Markdown blockquote is someone else's."""
    spans, start = [], 0
    for line in text.splitlines(keepends=True):
        end = start + len(line)
        if not line.lstrip().startswith(">"):
            spans.append((start, end))
        start = end
    return spans


def sentences(text: str) -> list[Sentence]:
    """The writer's sentences (quotes left out); long unpunctuated stretches as windows."""
    out: list[Sentence] = []
    for line_start, line_end in _own_lines(text):
        line = text[line_start:line_end]
        pos = 0
        pieces = []
        for match in _SPLIT.finditer(line):
            pieces.append((pos, match.start()))
            pos = match.end()
        pieces.append((pos, len(line)))
        for start, end in pieces:
            chunk = line[start:end]
            stripped = chunk.strip()
            if not any(c.isalnum() for c in stripped):
                continue
            offset = line_start + start + (len(chunk) - len(chunk.lstrip()))
            out.extend(_windows(stripped, offset))
    return _merge_short(out, text)


def _windows(sentence: str, offset: int) -> list[Sentence]:
    words = list(re.finditer(r"\S+", sentence))
    if len(words) <= WINDOW_WORDS:
        return [Sentence(sentence, (offset, offset + len(sentence)))]
    out = []
    starts = list(range(0, len(words) - WINDOW_WORDS + 1, WINDOW_STEP))
    if starts[-1] + WINDOW_WORDS < len(words):
        starts.append(len(words) - WINDOW_WORDS)
    for first in starts:
        last = first + WINDOW_WORDS - 1
        start, end = words[first].start(), words[last].end()
        out.append(Sentence(sentence[start:end], (offset + start, offset + end)))
    return out


def _merge_short(items: list[Sentence], text: str) -> list[Sentence]:
    """A fragment of one or two words ("tonight.", "bye") is read with the sentence before."""
    merged: list[Sentence] = []
    for item in items:
        if merged and len(item.text.split()) <= 2:
            prev = merged[-1]
            span = (prev.span[0], item.span[1])
            merged[-1] = Sentence(text[span[0]:span[1]], span)
        else:
            merged.append(item)
    return merged


def _phrases(*items: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9'])(?:" + "|".join(items) + r")(?![a-z0-9'])")


# The writer as the subject ("my" alone is not enough: "my friend took too much").
_FIRST = _phrases(r"i", r"i'?m", r"i'?ve", r"i'?d", r"i'?ll", r"me", r"myself", r"yo",
                  r"conmigo", r"me (quiero|voy|siento|tome|corte|muero|mato)")
_SECOND = _phrases(r"you", r"your", r"you'?re", r"yourself", r"u", r"ur", r"ya'?ll", r"y'?all",
                   r"tu", r"te", r"ti", r"contigo", r"usted", r"vos", r"tus", r"ustedes",
                   # Spanish drops the pronoun: the verb says "you".
                   r"tienes", r"puedes", r"sientes", r"eres", r"quieres", r"necesitas",
                   r"vales", r"mereces", r"hagas", r"estes", r"sigas", r"dejes", r"sufras",
                   r"cuentas", r"estas (sol[oa]|bien|aqui|a salvo|pasando)")
_THIRD = _phrases(
    r"he", r"she", r"they", r"he'?s", r"she'?s", r"they'?re", r"him", r"her", r"them",
    r"someone", r"somebody",
    r"(my|our|a) (friend|best friend|buddy|brother|sister|son|daughter|kid|partner|boyfriend|"
    r"girlfriend|husband|wife|roommate|mom|mum|mother|dad|father|cousin|sponsee|sponsor|"
    r"neighbor|neighbour|coworker|ex)",
    r"ella", r"ellos", r"ellas", r"alguien",
    r"mi (amigo|amiga|hermano|hermana|hijo|hija|pareja|novio|novia|esposo|esposa|marido|"
    r"mujer|mama|madre|papa|padre|primo|prima|companero|companera|vecino|vecina|padrino)",
    r"se (quiere|va a|tomo|metio|puso|corto|desmayo|cayo)",
)
# Words of support spoken to someone: with these, "you" is the reader, not a quote.
_SUPPORT = _phrases(
    r"i hope", r"i'?m here", r"here for you", r"i know how", r"i understand", r"i care",
    r"i love you", r"reach out", r"call 988", r"text 988", r"please (don'?t|do not|dont)",
    r"don'?t do it", r"hang in", r"stay safe", r"you matter", r"you'?re not alone",
    r"you are not alone", r"proud of you", r"sending (love|hugs)", r"i felt (that|the same)",
    r"i'?ve been there", r"been there", r"if you",
    r"no estas sol[oa]", r"aqui estoy", r"estoy aqui", r"llama al", r"no lo hagas",
    r"por favor no", r"tu vales", r"te quiero", r"te entiendo", r"animo", r"cuentas conmigo",
    r"no te (mates|rindas|vayas|hagas)", r"yo tambien (pase|estuve|senti)",
    r"(message|text|dm|call|ping) me (back|anytime|any time|whenever|if)",
    r"(please )?(don'?t|do not|dont) do anything", r"reach out", r"we'?re here",
    r"we are here", r"we care about", r"call (a|the) (crisis|hotline|helpline|lifeline)",
    r"no hagas nada", r"(escribeme|contestame|hablame|llamame)",
    r"estamos aqui", r"no estas sol[oa]", r"cuenta conmigo",
    r"please (stay|hold on|don'?t give up|dont give up|keep going)", r"hold on",
    r"(are you|r u) (safe|ok|okay) (right )?now", r"i'?m worried about you",
    r"no te rindas", r"te escucho", r"(estoy|sigo) pensando en ti", r"me preocupas",
    r"estas a salvo", r"(me quedo|estoy) despiert[oa] (para|por si)", r"quedate",
)
_NEGATED = _phrases(
    r"(i'?m|i am|im) not (suicidal|going to (kill|hurt|do anything)|gonna (kill|hurt))",
    r"not (suicidal|thinking (about|of) (suicide|killing|ending|dying))",
    r"(never|not) (going to|gonna) (kill|hurt|end) (myself|my life|it)",
    r"no longer (suicidal|want to die)", r"(don'?t|do not|dont) want to die",
    r"no (plans?|intention) (to|of) (hurt|kill|end|harm)", r"(i'?m|i am|im) safe",
    r"would never (do|act|hurt|kill)",
    r"no (quiero|pienso) (morir|morirme|matarme|suicidarme|hacerme dano|desaparecer)",
    r"no me quiero (morir|matar|suicidar)", r"no es que (me )?quiera",
    r"no me voy a (matar|suicidar|hacer dano|quitar la vida)",
    r"no estoy (pensando en|planeando) (suicid|matar|quitar)",
    r"no tengo (ideas|intencion|intenciones|planes) de", r"estoy a salvo",
    r"ya no (soy|estoy) suicida", r"no soy suicida",
    r"(i'?m|i am|im) not (giving up|going anywhere|in danger)",
    r"not (going to|gonna) do anything", r"not having any (dark )?thoughts",
    r"(it'?s|its) not that i want to", r"no (thoughts|plans) of (hurting|killing|ending)",
    r"no voy a hacer nada", r"no me rindo", r"no estoy en peligro", r"no tengo ideas",
)
# Figures of speech: "dying" of laughter is not dying.
_FIGURE = _phrases(
    r"me muero (de|por) (hambre|risa|sueno|ganas|frio|calor|verguenza|aburrimiento|verte|saber)",
    r"me muero por", r"(muert[oa]|morir) de (risa|cansancio|sueno|hambre|frio|aburrimiento)",
    r"me (mata|matan|esta matando|estan matando) (el|la|los|las|este|esta|estos|estas)",
    r"dying (of|from) (laughter|laughing|boredom|hunger|embarrassment|cringe)",
    r"dying to (see|try|know|meet|hear|go)", r"dead tired", r"(is|are) killing me",
    r"could kill for", r"i'?d kill for", r"killing it", r"kill(ed)? it (at|on|today)",
)
# Said anywhere, these make the rest of the message a check-in, not an emergency.
_SAFE = _phrases(
    r"(i'?m|i am|im) safe", r"not (going to|gonna) do anything", r"(i'?m|i am|im) not in danger",
    r"estoy a salvo", r"no voy a hacer nada", r"no estoy en peligro",
    r"no (thoughts|plans) of (hurting|killing|ending)", r"no tengo (ideas|planes) de",
)
_PAST = _phrases(
    r"(\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|many|few|couple( of)?) "
    r"(years?|months?|decades?) ago",
    r"years ago", r"months ago", r"a long time ago", r"used to", r"back then", r"back when",
    r"back in (the day|\d+)", r"last year", r"when i was (younger|a kid|a teen|using|drinking|"
    r"in active|in my|at my|\d+)", r"at my (worst|lowest|rock bottom)",
    r"in (my )?(active )?addiction", r"before i got (sober|clean)",
    r"in my (teens|twenties|thirties|early recovery|active)",
    r"hace (\d+ |unos |muchos |varios |un |dos |tres |cuatro |cinco |diez )?"
    r"(anos|meses|decadas|tiempo|mucho)", r"el ano pasado", r"en aquel entonces", r"solia",
    r"cuando (era|estaba|consumia|bebia|tenia)", r"en mi peor momento", r"antes de (estar|dejar)",
)
_HOPE = _phrases(
    r"grateful", r"thankful", r"glad i", r"so glad", r"today i'?m", r"now i'?m", r"i'?m still here",
    r"still here", r"it gets better", r"got better", r"(\d+|years?|months?) (sober|clean)",
    r"recovery (saved|gave)", r"i made it", r"alive today",
    r"agradecid[oa]", r"hoy (estoy|soy|tengo)", r"sigo aqui", r"sali adelante", r"mejora",
    r"(sobri[oa]|limpi[oa]) (desde|hace)", r"estoy vivo", r"estoy viva",
)


@dataclass(frozen=True, slots=True)
class Reading:
    """Who one sentence is about, and when."""

    who: str  # writer | other | addressed
    past: bool
    negated: bool  # denied ("I'm not suicidal") or a figure of speech ("me muero de risa")


def read(sentence: str, default: str = WRITER) -> Reading:
    """Who a sentence speaks of and whether it tells past history or denies risk. A sentence
    that names no one takes `default`, what the message as a whole is (see `voice`)."""
    folded = fold(sentence)
    negated = bool(_NEGATED.search(folded) or _FIGURE.search(folded))
    past = bool(_PAST.search(folded))
    first = bool(_FIRST.search(folded))
    second = bool(_SECOND.search(folded))
    third = bool(_THIRD.search(folded))
    if _SUPPORT.search(folded) or (second and not first):
        who = ADDRESSED
    elif third and not first:
        who = OTHER
    elif first:
        who = WRITER
    else:
        # Chat drops the pronoun ("took everything in the cabinet"): the message decides.
        who = default
    return Reading(who, past, negated)


def voice(text: str) -> str:
    """Who a message as a whole speaks of: a reply to a quote, or a message speaking to
    someone with no word about the writer, is addressed; one that only names someone else is
    about them; anything else is the writer (the safe side)."""
    own = sentences(text)
    readings = [read(s.text, "") for s in own]
    if any(r.who == WRITER for r in readings):
        return WRITER
    if len(own) < len(_own_lines(text)) or any(
            line.lstrip().startswith(">") for line in text.splitlines()):
        return ADDRESSED  # a reply to a quoted message
    whos = {r.who for r in readings} - {""}
    if whos == {OTHER}:
        return OTHER
    if ADDRESSED in whos:
        return ADDRESSED
    return WRITER


def says_safe(text: str) -> bool:
    """The writer says they are safe ("I'm safe, not going to do anything")."""
    return bool(_SAFE.search(fold(text)))


def tells_hope(text: str) -> bool:
    """The message frames what it tells as something lived through."""
    return bool(_HOPE.search(fold(text)))


def not_the_writer(text: str, span: tuple[int, int]) -> bool:
    """True when the words at `span` are not the writer speaking of themself now: quoted,
    spoken to someone else ("please don't kill yourself"), denied, or history told for hope."""
    own = [s for s in sentences(text) if s.span[0] < span[1] and span[0] < s.span[1]]
    if not own:
        return True  # inside a blockquote: another member's words
    for sentence in own:
        reading = read(sentence.text)
        if reading.who == WRITER and not reading.negated and not (
                reading.past and tells_hope(text)):
            return False
    return True
