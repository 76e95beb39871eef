"""Behaviour of the safety stage: risk phrases raise flags; only a negation that governs the phrase
takes one away; reported speech, quotes and the past still flag (the past with lower confidence)."""

from __future__ import annotations

import pytest

from intake.config import Config
from intake.message import IncomingMessage
from intake.pipeline import Draft, PipelineContext, TagProposal, run
from intake.pipeline.stages.safety import CONFIDENCE, PAST_CONFIDENCE, STAGE, TAGGER, assess

SUICIDE = "suicide-self-harm"
ABUSE = "abuse-neglect"
EMERGENCY = "emergency-now"


def tags(context: PipelineContext, text: str) -> list[TagProposal]:
    result = STAGE(Draft(message=IncomingMessage("sms", "m-1", text), text=text), context)
    assert all(tag.kind == "flag" and tag.source == "auto" for tag in result.tags)
    assert all(tag.evidence for tag in result.tags), "every flag carries the words behind it"
    return list(result.tags)


def flags(context: PipelineContext, text: str) -> set[str]:
    return {tag.value for tag in tags(context, text)}


def only(context: PipelineContext, text: str) -> TagProposal:
    [tag] = tags(context, text)
    return tag


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I feel suicidal since the discharge", SUICIDE),
        ("Some days I want to kill myself", SUICIDE),
        ("I just want to end it all", SUICIDE),
        ("I want to end it all", SUICIDE),
        ("I don't want to live any more", SUICIDE),
        ("don't want to be here anymore", SUICIDE),
        ("I dont want to be here any more", SUICIDE),
        ("kill myself", SUICIDE),
        ("I've been thinking of suicide since the clinic closed", SUICIDE),
        ("She told the nurse about her self-harm", SUICIDE),
        ("I have been cutting myself", SUICIDE),
        ("cutting myself again", SUICIDE),
        ("my son took an overdose", SUICIDE),
        ("I took an overdose", SUICIDE),
        ("I can't go on like this", SUICIDE),
        ("Everyone would be better off without me", SUICIDE),
        ("Chcę umrzeć", SUICIDE),
        ("chce umrzec", SUICIDE),
        ("Myślę o samobójstwie, nie chcę żyć", SUICIDE),
        ("میں خودکشی کے بارے میں سوچتا ہوں", SUICIDE),
        ("میں مرنا چاہتا ہوں", SUICIDE),
        ("main marna chahta hoon", SUICIDE),
        ("My carer hits me when nobody is there", ABUSE),
        ("he hits me when he's drunk", ABUSE),
        ("my carer is hurting my dad", ABUSE),
        ("mum was left in a soiled bed all day", ABUSE),
        ("Dad was left in a soiled bed all day", ABUSE),
        ("My dad was left without food all day", ABUSE),
        ("I am not safe at home", ABUSE),
        ("I don't feel safe at home", ABUSE),
        ("Mum was neglected on the ward", ABUSE),
        ("Mąż mnie bije, bije mnie codziennie", ABUSE),
        ("میرا شوہر مجھے مارتا ہے", ABUSE),
        ("My husband can't breathe", EMERGENCY),
        ("He CANNOT BREATHE properly", EMERGENCY),
        ("my dad cant breathe", EMERGENCY),
        ("I have chest pain right now", EMERGENCY),
        ("chest pain right now", EMERGENCY),
        ("she's collapsed", EMERGENCY),
        ("my nan is not waking up", EMERGENCY),
        ("he won't wake up", EMERGENCY),
        ("Dziadek ma zawał", EMERGENCY),
        ("Mama nie może oddychać", EMERGENCY),
        ("ابو کو سینے میں درد ہے", EMERGENCY),
    ],
)
def test_risk_phrases_raise_the_right_flag(context: PipelineContext, text: str, expected: str) -> None:
    assert flags(context, text) == {expected}


def test_flag_carries_confidence_and_evidence(context: PipelineContext) -> None:
    tag = only(context, "I want to die, I have thought about suicide")
    assert (tag.value, tag.confidence, tag.tagger) == (SUICIDE, CONFIDENCE, TAGGER)
    assert tag.evidence == "want to die, suicide"


def test_the_evidence_names_each_phrase_once(context: PipelineContext) -> None:
    assert only(context, "I want to die. I really want to die.").evidence == "want to die"


def test_several_flags_can_be_raised_together(context: PipelineContext) -> None:
    assert flags(context, "He beats me and now I can't breathe") == {ABUSE, EMERGENCY}
    found = {tag.value: tag.evidence for tag in tags(context, "she's collapsed and isn't waking up")}
    assert found == {EMERGENCY: "collapsed, isn't waking up"}


# -- negation: narrow ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "I am not suicidal",
        "I'm not suicidal, just tired of waiting",
        "I'm not suicidal, just fed up with waiting",
        "Im not suicidal",
        "I\u2019m not feeling suicidal",
        "I am no longer suicidal",
        "I was never abused there",
        "I have never been abused",
        "There was no abuse, just a long wait",
        "No chest pain, just a cough",
        "I don't have chest pain",
        "It was not a heart attack in the end",
        "nobody hits me, the staff are kind",
        "Nie chcę umrzeć",
        "Nie ma przemocy w domu",
    ],
)
def test_a_negation_of_the_phrase_is_not_flagged(context: PipelineContext, text: str) -> None:
    assert flags(context, text) == set()


def test_a_negation_in_an_earlier_sentence_does_not_hide_a_flag(context: PipelineContext) -> None:
    assert flags(context, "No. I want to die") == {SUICIDE}


@pytest.mark.parametrize(
    "text",
    [
        "I'm not okay and I want to die",
        "I'm not okay, I want to die",
        "Im not ok I want to die",
        "No, I don't want to live anymore",
        "no I want to die",
        "I'm not suicidal but I want to die",
        "Not sure who to tell but he hits me",
    ],
)
def test_a_negation_of_another_word_does_not_hide_a_flag(context: PipelineContext, text: str) -> None:
    assert flags(context, text) != set()


def test_no_with_another_subject_before_the_phrase_is_not_a_negation(context: PipelineContext) -> None:
    assert flags(context, "no I can't breathe") == {EMERGENCY}


def test_a_negation_far_before_the_phrase_does_not_count(context: PipelineContext) -> None:
    # More than one word between: a false alarm at worst, never a miss.
    assert flags(context, "I haven't had any chest pain") == {EMERGENCY}


def test_a_negation_outside_quotation_marks_does_not_reach_inside(context: PipelineContext) -> None:
    assert flags(context, 'He did not "want to die", he said') == {SUICIDE}


# -- reported speech, quotes, the past ---------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He keeps saying he wants to kill himself", SUICIDE),
        ("My sister says she wants to die", SUICIDE),
        ("The neighbour says her son hits her", ABUSE),
        ("My carer is hurting my mum", ABUSE),
    ],
)
def test_reported_speech_about_someone_else_flags(context: PipelineContext, text: str,
                                                  expected: str) -> None:
    tag = only(context, text)
    assert (tag.value, tag.confidence) == (expected, CONFIDENCE)


def test_quoted_words_flag_and_the_evidence_says_they_were_quoted(context: PipelineContext) -> None:
    tag = only(context, 'Mum keeps saying "I want to die" every night')
    assert (tag.value, tag.confidence) == (SUICIDE, CONFIDENCE)
    assert tag.evidence == "want to die (in quotes)"
    polish = only(context, "Tata powtarza „chcę umrzeć”")
    assert polish.evidence == "chcę umrzeć (in quotes)"


def test_words_after_a_closed_quotation_are_not_in_quotes(context: PipelineContext) -> None:
    assert only(context, 'The sign said "quiet please" and I want to die').evidence == "want to die"


@pytest.mark.parametrize(
    ("text", "flag", "evidence"),
    [
        ("I was suicidal last year", SUICIDE, "suicidal (in the past: last year)"),
        ("I took an overdose last year", SUICIDE, "took an overdose (in the past: last year)"),
        ("I used to self harm as a teenager", SUICIDE, "self harm (in the past: used to)"),
        ("I tried to kill myself in 2019", SUICIDE, "kill myself (in the past: 2019)"),
        ("He used to hit me", ABUSE, "hit me (in the past: used to)"),
        ("Dad collapsed years ago and the ambulance took hours", EMERGENCY,
         "collapsed (in the past: years ago)"),
        ("Rok temu chciałam się zabić", SUICIDE, "się zabić (in the past: rok temu)"),
        ("W zeszłym roku myślałam o samobójstwie", SUICIDE,
         "samobójstwie (in the past: w zeszłym roku)"),
        ("پچھلے سال میں نے خودکشی کی کوشش کی", SUICIDE, "خودکشی (in the past: پچھلے سال)"),
    ],
)
def test_the_past_still_flags_with_a_lower_confidence(context: PipelineContext, text: str, flag: str,
                                                      evidence: str) -> None:
    tag = only(context, text)
    assert (tag.value, tag.confidence, tag.evidence) == (flag, PAST_CONFIDENCE, evidence)


@pytest.mark.parametrize(
    "text",
    [
        "I was suicidal last year and I still am",
        "I took an overdose last year and I feel the same again now",
        "I took an overdose last night",
        "I took an overdose yesterday",
        "I took an overdose in 2026",  # this year (the context's clock is in 2026)
        "Rok temu próbowałam się zabić i nadal chcę umrzeć",
    ],
)
def test_recent_or_continuing_risk_is_current(context: PipelineContext, text: str) -> None:
    tag = only(context, text)
    assert (tag.value, tag.confidence) == (SUICIDE, CONFIDENCE)
    assert "in the past" not in (tag.evidence or "")
    assert tag.confidence > PAST_CONFIDENCE


def test_a_current_mention_outweighs_a_past_one(context: PipelineContext) -> None:
    tag = only(context, "I took an overdose last year. I want to die.")
    assert tag.confidence == CONFIDENCE
    assert tag.evidence == "took an overdose (in the past: last year), want to die"


def test_the_past_is_read_per_sentence(context: PipelineContext) -> None:
    text = "Last year was hard. I want to die."
    assert only(context, text).confidence == CONFIDENCE


# -- no flag where there is no risk --------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "The GP was kind and listened to me",
        "I waited three hours for my prescription",
        "The designer of the new waiting room did a nice job",
        "My daughter's strokes in swimming lessons are improving",
        "The hearing aid fitting was quick",
        "the GP killed it, best appointment ever",
        "The receptionist was rude",
        "I don't want to die waiting for an appointment",  # negated: not a wish to die
    ],
)
def test_neutral_messages_have_no_flags(context: PipelineContext, text: str) -> None:
    assert flags(context, text) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("My husband can\u2019t breathe", EMERGENCY), ("I don\u2019t want to live any more", SUICIDE),
     ("I don\u02bct want to be here anymore", SUICIDE)],
)
def test_typographic_apostrophes_still_flag(context: PipelineContext, text: str, expected: str) -> None:
    draft = run(IncomingMessage("sms", "m-1", text), context)
    assert {tag.value for tag in draft.tags_of("flag")} == {expected}


def test_hyphenated_self_harming_is_flagged(context: PipelineContext) -> None:
    assert flags(context, "I have been self-harming again") == {SUICIDE}


# -- assess, for callers outside the pipeline ------------------------------------------------------
def test_assess_normalises_text_so_decomposed_accents_still_match(context: PipelineContext) -> None:
    decomposed = "Chce\u0328 umrzec\u0301"  # "Chcę umrzeć" typed with combining marks
    assert set(assess(decomposed, context.taggers)) == {SUICIDE}


def test_assess_gives_what_raised_each_flag(context: PipelineContext) -> None:
    found = assess("He hits me and I want to die", context.taggers)
    assert {flag: [f.phrase for f in findings] for flag, findings in found.items()} == {
        ABUSE: ["hits me"], SUICIDE: ["want to die"]}


def test_assess_finds_nothing_in_plain_feedback(context: PipelineContext) -> None:
    assert assess("The pharmacy was closed", context.taggers) == {}


# -- the configuration ---------------------------------------------------------------------------
def test_every_flag_has_english_urdu_and_polish_phrases(config: Config) -> None:
    for flag in config.safety.flags:
        assert {"en", "ur", "pl"} <= set(flag.phrases), flag.id
        assert all(flag.phrases[code] for code in ("en", "ur", "pl")), flag.id
