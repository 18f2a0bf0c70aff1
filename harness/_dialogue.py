"""Domain conversations for the call simulator: what is said, which tools are called, and with what.

Each domain builder returns a :class:`Conversation`: the lines of a full, successful call in order,
plus the topic and resolution the post-call summary is written from. Timing, IDs and events are the
simulator's job (``harness.generate``); this module only decides content. Names, addresses, dates,
amounts and order numbers come from :class:`harness._content.Content` (faker pools and the call's seeded
random generator), so the same seed gives the same words.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import harness._ids as _ids
from harness._content import Content

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CURRENCIES = {"en_US": "$", "en_GB": "£", "fr_FR": "€", "de_DE": "€", "es_ES": "€", "ja_JP": "¥"}

# The metric a form-intake agent logs for each answered question.
FORM_ANSWER_METRIC = "form_question_answered"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool call an assistant line makes; ``result`` is sent as a JSON string, as the agent SDK does."""

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]

    def result_json(self) -> str:
        return json.dumps(self.result, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Line:
    """One user or assistant utterance of a conversation."""

    role: str
    text: str
    tool: ToolSpec | None = None
    # A line that reads out a tool result must be spoken in full, so it is never interrupted.
    uses_result: bool = False
    interruptible: bool = True
    # Set on a user line that answers a form question: the agent logs FORM_ANSWER_METRIC with the answer.
    form_field: str | None = None
    form_answer: str | None = None


@dataclass(slots=True)
class Conversation:
    """A domain's full conversation and what a summary says about it."""

    domain: str
    agent_name: str
    caller_name: str
    topic: str
    resolution: str
    core: list[Line]
    closing: list[Line]
    fillers: list[tuple[Line, Line]] = field(default_factory=list)


def _spoken_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"


def _one_line(text: str) -> str:
    return ", ".join(part.strip() for part in text.splitlines() if part.strip())


def _amount(fake: Content, locale: str) -> tuple[str, str]:
    """An amount as the digits a system stores and as spoken with the locale's currency."""
    if locale == "ja_JP":
        digits = str(fake.random_int(1000, 90000))
    else:
        digits = f"{fake.random_int(5, 900)}.{fake.random_int(0, 99):02d}"
    return digits, f"{_CURRENCIES.get(locale, '$')}{digits}"


def _greeting(company: str, agent: str) -> str:
    return f"Thanks for calling {company}, this is {agent}. How can I help you today?"


def _appointment(fake: Content, rng: random.Random, locale: str, today: date) -> Conversation:
    company = fake.company()
    name = fake.name()
    service = rng.choice(("dental cleaning", "check-up", "hearing test", "physiotherapy", "vaccination"))
    day = today + timedelta(days=rng.randint(1, 14))
    day_text = _spoken_date(day)
    first, second = sorted(rng.sample(("08:30", "09:15", "10:00", "11:45", "13:30", "14:00", "15:15", "16:40"), 2))
    chosen = rng.choice((first, second))
    code = fake.pattern("APT-####??").upper()
    check = ToolSpec(
        "check_availability",
        {"patient_name": name, "service": service, "date": day_text},
        {"date": day.isoformat(), "available_slots": [first, second]},
    )
    book = ToolSpec(
        "book_appointment",
        {"patient_name": name, "date": day_text, "slot": chosen},
        {"status": "booked", "confirmation_code": code, "slot": chosen},
    )
    core = [
        Line("assistant", _greeting(company, "Mia")),
        Line("user", f"Hi, I'd like to book a {service} appointment, please."),
        Line("assistant", "Of course. Can I have your full name and the day that suits you best?"),
        Line("user", f"It's {name}, and {day_text} would be ideal."),
        Line("assistant", f"Let me check the calendar for {day_text}.", tool=check),
        Line("assistant", f"I have {first} or {second} available. Which would you prefer?", uses_result=True),
        Line("user", f"{chosen} works for me."),
        Line("assistant", "Great, I'm booking that for you now.", tool=book),
        Line("assistant", f"You're all set for {chosen}. Your confirmation code is {code}.", uses_result=True),
    ]
    return Conversation(
        domain="appointment_scheduling",
        agent_name="Clinic Scheduler",
        caller_name=name,
        topic=f"booking a {service} appointment for {day_text}",
        resolution=f"The appointment was booked for {chosen} (confirmation {code}).",
        core=core,
        closing=_closing(),
        fillers=_fillers(fake),
    )


def _order_status(fake: Content, rng: random.Random, locale: str, today: date) -> Conversation:
    company = fake.company()
    name = fake.name()
    order = fake.pattern("#####")
    email = fake.free_email()
    carrier = rng.choice(("UPS", "DHL", "FedEx", "La Poste", "Royal Mail", "Yamato"))
    status, status_text = rng.choice((("in_transit", "in transit"), ("delayed", "delayed"), ("packed", "packed")))
    eta_text = _spoken_date(today + timedelta(days=rng.randint(1, 6)))
    lookup = ToolSpec(
        "lookup_order",
        {"order_number": order},
        {"order_number": order, "status": status, "carrier": carrier, "eta": eta_text},
    )
    send = ToolSpec("send_tracking_link", {"order_number": order, "email": email}, {"sent_to": email})
    core = [
        Line("assistant", _greeting(company, "Ava")),
        Line("user", f"Hi, this is {name}. I'm checking on order {order}, it hasn't arrived yet."),
        Line("assistant", "Let me look that up for you.", tool=lookup),
        Line(
            "assistant",
            f"Order {order} is {status_text} with {carrier} and should arrive on {eta_text}.",
            uses_result=True,
        ),
        Line("user", f"Could you email me the tracking link? It's {email}."),
        Line("assistant", "Sure, sending it now.", tool=send),
        Line("assistant", f"Done, the tracking link is on its way to {email}.", uses_result=True),
    ]
    return Conversation(
        domain="order_status",
        agent_name="Order Desk",
        caller_name=name,
        topic=f"the status of order {order}",
        resolution=f"It is {status_text} with {carrier}, expected on {eta_text}, and the tracking link was emailed.",
        core=core,
        closing=_closing(),
        fillers=_fillers(fake),
    )


def _billing(fake: Content, rng: random.Random, locale: str, today: date) -> Conversation:
    company = fake.company()
    name = fake.name()
    invoice = fake.pattern("INV-######")
    amount, amount_text = _amount(fake, locale)
    last4 = fake.pattern("####")
    refund_id = fake.pattern("RF-########")
    lookup = ToolSpec(
        "lookup_invoice",
        {"invoice_number": invoice, "customer_name": name},
        {"invoice_number": invoice, "amount": amount, "times_charged": 2},
    )
    refund = ToolSpec(
        "issue_refund",
        {"invoice_number": invoice, "amount": amount, "card_last4": last4},
        {"refund_id": refund_id, "status": "pending"},
    )
    core = [
        Line("assistant", f"You've reached {company} billing support, this is Leo. What can I do for you?"),
        Line("user", f"Hi, my name is {name}. I think I was charged twice for invoice {invoice}."),
        Line("assistant", f"Let me pull up invoice {invoice}.", tool=lookup),
        Line(
            "assistant",
            f"I can see invoice {invoice} for {amount_text} was charged twice. Shall I refund the duplicate?",
            uses_result=True,
        ),
        Line("user", f"Yes please, to the card ending in {last4}."),
        Line("assistant", "One moment while I issue the refund.", tool=refund),
        Line(
            "assistant",
            f"Refund {refund_id} is on its way and should reach you in three to five business days.",
            uses_result=True,
        ),
    ]
    return Conversation(
        domain="billing_support",
        agent_name="Billing Assistant",
        caller_name=name,
        topic=f"a billing question about a duplicate charge on invoice {invoice}",
        resolution=f"A refund of {amount_text} was issued ({refund_id}).",
        core=core,
        closing=_closing(),
        fillers=_fillers(fake),
    )


def _form_intake(fake: Content, rng: random.Random, locale: str, today: date) -> Conversation:
    company = fake.company()
    name = fake.name()
    form = rng.choice(("new patient", "insurance claim", "rental application", "membership"))
    birthday = fake.date_of_birth(today, minimum_age=18, maximum_age=90)
    birthday_text = f"{MONTHS[birthday.month - 1]} {birthday.day}, {birthday.year}"
    address = fake.address()
    phone = _ids.phone_number(rng, locale)
    reason = fake.sentence().rstrip(".")
    # (form field, question, the value recorded, what the caller says)
    questions = [
        ("full_name", "First, what is your full name?", name, f"{name}."),
        ("date_of_birth", "Thanks. What is your date of birth?", birthday_text, f"{birthday_text}."),
        ("address", "Thanks. And your home address?", address, f"{address}."),
        ("phone", "Thanks. What's the best number to reach you on?", phone, f"It's {phone}."),
        ("reason", "Thanks. Briefly, what is this for?", reason, f"It's {reason}."),
    ]
    asked = questions[:3] + rng.sample(questions[3:], rng.randint(0, 2))
    core = [
        Line("assistant", f"Hello, this is Nora from {company}. Which form can I help you complete today?"),
        Line("user", f"The {form} form, please."),
    ]
    for key, question, value, spoken in asked:
        # Kept whole: a form question is answered only after it has been heard.
        core.append(Line("assistant", question, interruptible=False))
        core.append(Line("user", spoken, form_field=key, form_answer=value))
    answers = {key: value for key, _, value, _ in asked}
    submission = fake.pattern("FRM-#######")
    submit = ToolSpec("submit_form", {"form": form, **answers}, {"submission_id": submission, "status": "received"})
    core.append(Line("assistant", "Thank you, I'm submitting your form now.", tool=submit))
    core.append(Line("assistant", f"Your form is in. Your reference number is {submission}.", uses_result=True))
    return Conversation(
        domain="form_intake",
        agent_name="Intake Assistant",
        caller_name=name,
        topic=f"completing {'an' if form[0] in 'aeiou' else 'a'} {form} intake form",
        resolution=f"All {len(asked)} questions were answered and the form was submitted ({submission}).",
        core=core,
        closing=_closing(),
        fillers=_fillers(fake),
    )


def _closing() -> list[Line]:
    return [
        Line("user", "That's everything, thank you for your help."),
        Line("assistant", "You're welcome. Have a great day, goodbye!"),
    ]


def _fillers(fake: Content) -> list[tuple[Line, Line]]:
    city = fake.city()
    street = fake.street_name()
    return [
        (
            Line("user", "Also, what are your opening hours?"),
            Line("assistant", "We're open Monday to Friday from eight to six, and Saturday mornings."),
        ),
        (
            Line("user", f"Do you have an office near {city}?"),
            Line("assistant", f"Yes, there is one in {city}, on {street}."),
        ),
        (
            Line("user", "Can I get a text confirmation as well?"),
            Line("assistant", "Certainly, I'll send a text to the number you're calling from."),
        ),
        (
            Line("user", "Sorry, is this call being recorded?"),
            Line("assistant", "Yes, calls are recorded for quality and training purposes."),
        ),
    ]


# The user's first words when they pick up an outbound call before the agent speaks.
ANSWER_LINE = Line("user", "Hello?")


def voicemail_lines(conversation: Conversation) -> list[Line]:
    """An outbound call that reached voicemail: the greeting (transcribed as the user) and the agent's message."""
    return [
        Line(
            "user",
            f"Hi, you've reached {conversation.caller_name}. I can't take your call right now, "
            "please leave a message after the tone.",
            interruptible=False,
        ),
        Line(
            "assistant",
            f"Hello, this is the {conversation.agent_name} calling about {conversation.topic}. "
            "Please call us back when you can. Goodbye!",
            interruptible=False,
        ),
    ]


BUILDERS: dict[str, Callable[[Content, random.Random, str, date], Conversation]] = {
    "appointment_scheduling": _appointment,
    "order_status": _order_status,
    "billing_support": _billing,
    "form_intake": _form_intake,
}
