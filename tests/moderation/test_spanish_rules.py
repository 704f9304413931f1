"""The Spanish risk rules (crisis-es, crisis-method-es, overdose-es and the Spanish relapse rules)
on the default rule set: what they catch, with which priority and resources, and the look-alikes
they must leave alone (a supporter flagged urgent is a false alarm that tires the team)."""

from __future__ import annotations

import pytest

from forum.moderation.resources import load_resources

# The pipeline alone: the PostgreSQL run would repeat it for nothing.
pytestmark = pytest.mark.dbfree

RISK = {"crisis", "crisis-method", "overdose", "relapse"}
EXPECTED = {  # category: (action, priority), as in the English rule files
    "crisis": ("flag", "urgent"),
    "crisis-method": ("hold", "urgent"),
    "overdose": ("flag", "urgent"),
    "relapse": ("flag", "low"),
}

POSITIVE = [
    # crisis: wanting to die, ideation, self-harm
    ("crisis", "me quiero suicidar"),
    ("crisis", "Me quiero morir, ya no puedo con esto"),
    ("crisis", "me quiero matar"),
    ("crisis", "quiero quitarme la vida"),
    ("crisis", "Pienso en quitarme la vida todos los días"),
    ("crisis", "voy a acabar con todo esta semana"),
    ("crisis", "ya no quiero vivir"),
    ("crisis", "no quiero seguir viviendo"),
    ("crisis", "no aguanto más."),
    ("crisis", "no aguanto más esta vida"),
    ("crisis", "estaría mejor muerta"),
    ("crisis", "quiero desaparecer para siempre"),
    ("crisis", "ojalá no despertar mañana"),
    ("crisis", "todos estarían mejor sin mí"),
    ("crisis", "no tengo razones para vivir"),
    ("crisis", "tengo pensamientos suicidas otra vez"),
    ("crisis", "estoy cansada de vivir"),
    ("crisis", "solo quiero dormir y no despertar"),
    ("crisis", "hace años que quiero morirme"),
    ("crisis", "Hace 2 años dejé de beber, pero hoy quiero morir"),
    ("crisis", "intenté suicidarme anoche"),
    ("crisis", "volví a cortarme"),
    ("crisis", "me corto los brazos para no sentir"),
    ("crisis", "no tengo ganas de vivir"),
    # crisis-method: means, amounts, a plan, a goodbye
    ("crisis-method", "me voy a tirar del puente"),
    ("crisis-method", "quiero tirarme al metro"),
    ("crisis-method", "voy a colgarme esta noche"),
    ("crisis-method", "me voy a tomar todas las pastillas"),
    ("crisis-method", "pienso cortarme las venas"),
    ("crisis-method", "llevo semanas juntando pastillas"),
    ("crisis-method", "¿cuántas pastillas hacen falta para morir?"),
    ("crisis-method", "tengo un plan para matarme"),
    ("crisis-method", "esta es mi despedida"),
    ("crisis-method", "para cuando leáis esto ya no estaré"),
    ("crisis-method", "me quiero aventar al metro"),
    # overdose: an emergency now
    ("overdose", "tomé demasiadas pastillas"),
    ("overdose", "mi amigo no respira"),
    ("overdose", "no despierta"),
    ("overdose", "se puso morado"),
    ("overdose", "tiene los labios morados"),
    ("overdose", "creo que tiene una sobredosis"),
    ("overdose", "mezclé alcohol con clonazepam"),
    ("overdose", "no puedo despertarlo"),
    ("overdose", "¿debo llamar al 112?"),
    # relapse: the writer's own, recent
    ("relapse", "recaí anoche"),
    ("relapse", "volví a consumir ayer"),
    ("relapse", "anoche me emborraché"),
    ("relapse", "tuve una recaída el fin de semana"),
    ("relapse", "volví a beber"),
]

LOOK_ALIKES = [
    # negation
    "no quiero morir",
    "No quiero morir, quiero vivir sobrio",
    "no estoy pensando en suicidarme, solo estoy cansado",
    "nunca he pensado en suicidarme",
    "no tengo pensamientos suicidas",
    "no voy a colgarme, tranquilos",
    # second person and support
    "no te mates, por favor, llama al 024",
    "no te quites la vida, aquí estamos",
    "tú no quieres morir, quieres que pare el dolor",
    "si piensas en suicidarte, llama al 024",
    'Cuando dices "me quiero morir", ¿tienes un plan? Llama al 024, estamos contigo.',
    "Si ves que alguien no respira o tiene los labios azules, usa naloxona y llama al 112.",
    "nunca mezcles alcohol con benzos",
    "yo también recaí el mes pasado, no estás solo",
    # third person and talk about the topic
    "mi hermano tiene pensamientos suicidas",
    "mi hijo dice que quiere morir",
    "las ideas suicidas son comunes en la abstinencia",
    "las sobredosis de fentanilo aumentaron este año",
    "mi hermano recayó anoche",
    # past history told for hope
    "hace años quise quitarme la vida y hoy estoy agradecida",
    "Hace 5 años intenté quitarme la vida. Hoy estoy agradecido de estar vivo.",
    "hace dos años tomé demasiadas pastillas y sobreviví",
    "recaí hace tres años y aprendí a pedir ayuda",
    # figures of speech
    "me muero de risa",
    "me muero de hambre",
    "me muero de sueño",
    "me muero de ganas de verte",
    "me mata este calor",
    "estoy muerto de cansancio",
    "estoy muerta de cansancio",
    "me muero por verte",
    "me quiero morir de vergüenza jajaja",
    "me voy a matar estudiando para el examen",
    "¡Qué calor! No aguanto más.",
    "nos pusimos morados de comer",
    "voy a ahogarme en un vaso de agua",
    # everyday look-alikes
    "ya no quiero seguir bebiendo",
    "no aguanto más las ganas de consumir",
    "quiero cortarme el pelo",
    "mi novio me cortó ayer",
    "colgarme la mochila",
    "adiós para siempre al alcohol",
    "este es mi último mensaje antes de entrar a rehabilitación",
    "me tomo todas las pastillas que me recetaron",
    "mi hijo no se despierta para ir al colegio",
    "el cielo se puso gris",
    "hoy tomé la decisión de pedir ayuda",
    "ayer tomé un café con mi madrina",
    "volví a tomar el control de mi vida",
    "hoy llevo 90 días sin tomar",
]


@pytest.fixture(scope="module")
def spanish_lines() -> set[str]:
    """Resources that answer in Spanish (crisis lines, emergency numbers, helplines)."""
    return {rid for rid, r in load_resources().items() if "es" in r.languages}


@pytest.mark.parametrize(("category", "text"), POSITIVE)
def test_spanish_risk_is_caught(rules_pipeline, spanish_lines, category, text):
    verdict = rules_pipeline.screen(text, scope="post", locale="es")
    assert category in verdict.categories
    assert (verdict.action, verdict.priority) == EXPECTED[category]
    assert spanish_lines & set(verdict.resources)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_spanish_look_alikes_are_not_risk(rules_pipeline, text):
    verdict = rules_pipeline.screen(text, scope="post", locale="es")
    assert not RISK & set(verdict.categories)


def test_the_reported_misses_are_caught(rules_pipeline):
    suicide = rules_pipeline.screen("me quiero suicidar", scope="post")
    assert (suicide.action, suicide.priority, suicide.categories) == ("flag", "urgent",
                                                                       ("crisis",))
    pills = rules_pipeline.screen("tomé demasiadas pastillas", scope="post")
    assert (pills.action, pills.priority, pills.categories) == ("flag", "urgent", ("overdose",))


@pytest.mark.parametrize(("accented", "plain"), [
    ("tomé demasiadas pastillas", "tome demasiadas pastillas"),
    ("ya no quiero vivir más", "ya no quiero vivir mas"),
    ("voy a colgarme mañana", "voy a colgarme manana"),
    ("me voy a tirar del balcón", "me voy a tirar del balcon"),
    ("mi niña no respira", "mi nina no respira"),
    ("recaí el miércoles", "recai el miercoles"),
    ("TOMÉ DEMASIADAS PASTILLAS", "Tome Demasiadas Pastillas"),
])
def test_accents_and_no_accents_match_alike(rules_pipeline, accented, plain):
    with_accents = rules_pipeline.screen(accented, scope="post")
    without = rules_pipeline.screen(plain, scope="post")
    assert with_accents.categories and RISK & set(with_accents.categories)
    assert (with_accents.action, with_accents.categories, with_accents.priority) == (
        without.action, without.categories, without.priority)


def test_spanish_writer_gets_the_spanish_message(rules_pipeline):
    verdict = rules_pipeline.screen("me quiero morir", scope="post", locale="es")
    assert verdict.message and "Gracias por contárnoslo" in verdict.message
    assert "024" in verdict.message
    english = rules_pipeline.screen("me quiero morir", scope="post", locale="en")
    assert english.message and english.message.startswith("Thank you for telling us")


def test_spanish_lines_come_first(rules_pipeline):
    crisis = rules_pipeline.screen("me quiero morir", scope="post", locale="es")
    assert crisis.resources[:2] == ("linea-024", "linea-de-la-vida")
    method = rules_pipeline.screen("me voy a tirar del puente", scope="post", locale="es")
    assert method.resources[:4] == ("linea-024", "emergency-es", "linea-de-la-vida",
                                    "emergency-mx")
    overdose = rules_pipeline.screen("mi amigo no respira", scope="chat", locale="es")
    assert overdose.resources[:2] == ("emergency-es", "emergency-mx")


def test_method_is_held_never_blocked(rules_pipeline):
    for text in ("voy a colgarme esta noche", "esta es mi despedida"):
        verdict = rules_pipeline.screen(text, scope="chat", locale="es")
        assert verdict.action == "hold" and "crisis-method" in verdict.categories


@pytest.mark.parametrize(("name", "caught"), [
    ("quiero-morir", True), ("MeQuieroMorir", True), ("ganas_de_morir", True),
    ("no-quiero-morir", False), ("luz-de-la-manana", False), ("vivir-sobria", False),
])
def test_spanish_pseudonyms(rules_pipeline, name, caught):
    verdict = rules_pipeline.screen(name, scope="pseudonym")
    assert ("crisis" in verdict.categories) is caught


def test_recovery_talk_in_spanish_stays_allowed(rules_pipeline):
    for text in ("Hoy cumplo 90 días sobria", "mi madrina me dijo que la llamara si tengo ganas",
                 "Fui a dos reuniones hoy y llamé a mi padrino."):
        assert rules_pipeline.screen(text, scope="post", locale="es").action == "allow"
