"""Reference lists for treatment plans, as data: evidence-based modalities with a one-line
description, and the questionnaires a goal may name.

The instrument ids are the ones the measures library (therapia/measures) uses; until that
library publishes its own list, goals accept exactly these ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Modality:
    key: str
    label: str
    description: str  # one line, plain words


MODALITIES: tuple[Modality, ...] = (
    Modality("cbt", "Cognitive behavioural therapy (CBT)",
             "Working on the links between thoughts, feelings and actions, with "
             "practice between sessions."),
    Modality("ba", "Behavioural activation",
             "Planning and doing valued, rewarding activities again to lift low mood."),
    Modality("dbt", "Dialectical behaviour therapy (DBT)",
             "Skills for handling intense emotions, distress and relationships, "
             "with acceptance and change."),
    Modality("act", "Acceptance and commitment therapy (ACT)",
             "Making room for difficult thoughts and feelings while acting on personal values."),
    Modality("emdr", "EMDR",
             "Processing traumatic memories with guided bilateral stimulation."),
    Modality("tf_cbt", "Trauma-focused CBT",
             "CBT adapted for trauma: understanding reactions, processing memories, "
             "rebuilding safety."),
    Modality("ipt", "Interpersonal therapy (IPT)",
             "Improving mood by working on relationships, role changes, conflicts and grief."),
    Modality("psychodynamic", "Psychodynamic therapy",
             "Understanding how past experiences and unconscious patterns shape "
             "present difficulties."),
    Modality("person_centred", "Person-centred therapy",
             "A warm, accepting relationship in which the client leads and finds "
             "their own way forward."),
    Modality("cft", "Compassion-focused therapy",
             "Building self-compassion to ease shame and self-criticism."),
    Modality("mbct", "Mindfulness-based cognitive therapy",
             "Mindfulness practice combined with CBT to prevent relapse of depression."),
    Modality("exposure", "Exposure and response prevention",
             "Facing feared situations step by step without safety behaviours or rituals."),
    Modality("mi", "Motivational interviewing",
             "Exploring ambivalence to strengthen the client's own reasons for change."),
    Modality("family_systems", "Family systems therapy",
             "Working with the family as a whole on patterns, roles and communication."),
    Modality("couple", "Couple therapy",
             "Working with both partners on communication, conflict and closeness."),
    Modality("play", "Play therapy",
             "Helping children express and work through feelings through play."),
    Modality("art", "Art therapy",
             "Using art-making to express and explore what is hard to put into words."),
    Modality("music", "Music therapy",
             "Using music and sound to support emotional expression and connection."),
    Modality("drama", "Drama therapy",
             "Using role play, story and performance to explore experiences and try out change."),
    Modality("group", "Group therapy",
             "Learning and practising with others who share similar difficulties, "
             "guided by a facilitator."),
    Modality("psychoeducation", "Psychoeducation",
             "Information about the difficulty and its treatment, to understand and self-manage."),
    Modality("problem_solving", "Problem-solving therapy",
             "A structured way to define problems, weigh options and try out solutions."),
    Modality("schema", "Schema therapy",
             "Working on long-standing patterns that began early in life."),
    Modality("sleep", "CBT for insomnia (CBT-I)",
             "Sleep scheduling, stimulus control and work on thoughts that keep insomnia going."),
)
MODALITY_BY_KEY = {m.key: m for m in MODALITIES}


@dataclass(frozen=True)
class Instrument:
    id: str
    label: str
    max_score: int


# Fixed until therapia/measures publishes its instrument library.
INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("phq9", "PHQ-9 (depression)", 27),
    Instrument("phq-a", "PHQ-A (depression, adolescents)", 27),
    Instrument("gad7", "GAD-7 (anxiety)", 21),
    Instrument("pcl5", "PCL-5 (post-traumatic stress)", 80),
    Instrument("core10", "CORE-10 (psychological distress)", 40),
    Instrument("wsas", "WSAS (work and social adjustment)", 40),
    Instrument("audit", "AUDIT (alcohol use)", 40),
    Instrument("auditc", "AUDIT-C (alcohol use, short)", 12),
    Instrument("dast10", "DAST-10 (drug use)", 10),
    Instrument("k10", "K10 (psychological distress)", 50),
    Instrument("dass21", "DASS-21 (depression, anxiety, stress)", 63),
    Instrument("sdq", "SDQ (strengths and difficulties)", 40),
    Instrument("ors", "ORS (outcome rating scale)", 40),
    Instrument("srs", "SRS (session rating scale)", 40),
)
INSTRUMENT_BY_ID = {i.id: i for i in INSTRUMENTS}

# How a goal's target compares with the score.
TARGET_DIRECTIONS = (("below", "below"), ("at_or_above", "at or above"))


class Frequency:
    CHOICES = (
        ("twice_weekly", "Twice a week"),
        ("weekly", "Every week"),
        ("fortnightly", "Every two weeks"),
        ("monthly", "Every month"),
        ("as_needed", "As needed"),
    )


class SessionFormat:
    CHOICES = (
        ("individual", "Individual"),
        ("couple", "Couple"),
        ("family", "Family"),
        ("group", "Group"),
    )


class Delivery:
    CHOICES = (
        ("in_person", "In person"),
        ("video", "Video"),
        ("phone", "Phone"),
        ("mixed", "Mixed"),
    )
