"""Progress-note templates as data: the sections each has, each with a plain-words prompt.

A template never has a section for the content of the conversation itself: that belongs
in a psychotherapy note (PN-1). Every template asks for what the designated record set must
hold without one (PN-2): the interventions used (modality), progress and the plan.
`required` sections must be filled in before the note can be signed; a draft may be partial.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Template(models.TextChoices):
    SOAP = "soap", "SOAP"
    DAP = "dap", "DAP"
    BIRP = "birp", "BIRP"
    INTAKE = "intake", "Intake"
    COUPLE_FAMILY = "couple_family", "Couple or family session"
    GROUP = "group", "Group session (one member)"
    DISCHARGE = "discharge", "Discharge summary"


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    prompt: str
    required: bool = True


@dataclass(frozen=True)
class NoteTemplate:
    key: str
    label: str
    purpose: str
    sections: tuple[Section, ...]
    needs_session: bool = True

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


RISK = Section("risk", "Risk", "Any risk to self or others raised or observed, and what was done. "
               "Write 'No risk issues' if none.")
GROUP_SUMMARY = "group_summary"  # the de-identified part shared by every member's note

TEMPLATES: dict[str, NoteTemplate] = {t.key: t for t in (
    NoteTemplate(Template.SOAP, "SOAP", "Subjective, objective, assessment, plan.", (
        Section("subjective", "Subjective", "What the client reported: their concerns, "
                "symptoms and how the week went, in their words where it helps."),
        Section("objective", "Objective", "What you observed: appearance, affect, behaviour, "
                "questionnaire scores."),
        Section("assessment", "Assessment", "Your clinical view: progress towards goals, "
                "changes in presentation, the interventions used."),
        RISK,
        Section("plan", "Plan", "What happens next: homework, next session's focus, referrals."),
    )),
    NoteTemplate(Template.DAP, "DAP", "Data, assessment, plan.", (
        Section("data", "Data", "What the client said and what you observed, including scores."),
        Section("assessment", "Assessment", "What the data mean: progress, the interventions "
                "used and how the client responded."),
        RISK,
        Section("plan", "Plan", "Next steps, homework and the focus of the next session."),
    )),
    NoteTemplate(Template.BIRP, "BIRP", "Behaviour, intervention, response, plan.", (
        Section("behaviour", "Behaviour", "The client's presentation and what they reported."),
        Section("intervention", "Intervention", "What you did: the methods and techniques used."),
        Section("response", "Response", "How the client responded to the interventions."),
        RISK,
        Section("plan", "Plan", "What comes next, and when."),
    )),
    NoteTemplate(Template.INTAKE, "Intake", "The first meeting: why the client came and what "
                 "was agreed.", (
        Section("presenting", "Reason for coming", "The difficulties in the client's words, "
                "how long they have lasted and what brought them now."),
        Section("background", "Relevant background", "History that matters for treatment: "
                "previous help, health, family and social situation.", required=False),
        Section("mental_state", "Mental state", "Appearance, mood, thinking, perception, "
                "insight at this meeting."),
        RISK,
        Section("formulation", "Initial understanding", "How the difficulties seem to fit "
                "together, as a working hypothesis."),
        Section("plan", "Recommendation and plan", "What was agreed: treatment offered, "
                "measures, next appointment."),
    )),
    NoteTemplate(Template.COUPLE_FAMILY, "Couple or family session", "A joint session, written "
                 "in each client's own record.", (
        Section("present", "Who attended", "Roles only (e.g. 'both partners', 'mother and "
                "son'): never another client's details beyond their role."),
        Section("focus", "Focus of the session", "The themes worked on together."),
        Section("client_part", "This client's participation", "This client's contributions, "
                "presentation and progress."),
        Section("intervention", "Interventions", "Methods used with the couple or family."),
        RISK,
        Section("plan", "Plan", "Agreed tasks and the next session's focus."),
    )),
    NoteTemplate(Template.GROUP, "Group session", "One member's note for a group session. The "
                 "group summary is shared by every member's note and names no one.", (
        Section(GROUP_SUMMARY, "Group summary (no names)", "The session's topic, the "
                "activities and the skills taught. Never name or describe other members."),
        Section("participation", "This member's participation", "How this member took part, "
                "what they shared about themselves, and their progress."),
        RISK,
        Section("plan", "Plan for this member", "Practice between sessions and any individual "
                "follow-up.", required=False),
    )),
    NoteTemplate(Template.DISCHARGE, "Discharge summary", "The end of an episode of care.", (
        Section("course", "Course of treatment", "What treatment was given, for how long, "
                "and how it went."),
        Section("outcome", "Outcome", "Change on the goals and the measures, first and last "
                "scores."),
        Section("reason", "Reason for discharge", "Why treatment ended."),
        RISK,
        Section("aftercare", "Aftercare and advice", "Relapse prevention, what to do if things "
                "get worse, onward referrals."),
    ), needs_session=False),
)}
