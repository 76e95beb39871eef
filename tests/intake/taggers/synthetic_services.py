"""A small synthetic corpus for the learned service model, shared by its tests.

Every sentence is made up. None uses a taxonomy keyword of services.toml, so the pipeline's
keyword step finds nothing in them and the learned model is the only evidence.
"""

from __future__ import annotations

TRAINING: dict[str, list[str]] = {
    "gp": [
        "Rang the practice at eight every morning and the phone line was always engaged",
        "Could not book a same day slot with the doctor for my chest infection",
        "The practice online booking system keeps crashing before I can book",
        "The doctor listened properly and changed my blood pressure tablets",
        "Waited three weeks to see a doctor about my back pain",
        "The practice phone queue said I was caller number twenty at eight",
        "Our doctor rang back the same day and sorted out my sick note",
        "Booking a routine check with the practice takes weeks now",
        "The doctor at the practice was rushed and did not examine me",
        "Phoned the practice at eight and all the slots had gone by ten past",
        "The practice sent a text with a booking link that never worked",
        "Lovely doctor who took time to explain my blood results",
        "The practice will only book by phone and the line is always busy",
        "Asked the doctor for a referral and the practice lost the letter",
        "Doctor was kind and booked me a follow up slot at the practice",
    ],
    "pharmacy": [
        "The medicines were out of stock so I had to come back three days later",
        "Staff at the counter explained how to take my new medicines",
        "Half my prescription items were missing when I went to collect",
        "Queued for forty minutes at the counter to collect my prescription",
        "They gave advice about my rash at the counter without a booking",
        "My prescription had the wrong strength of medicines in the bag",
        "The counter was closed at lunchtime when I came to collect",
        "They ordered my medicines in quickly when stock ran out",
        "Could not collect my prescription because the system was down",
        "Friendly counter staff who checked my medicines against each other",
        "My repeat medicines are never in stock on the first visit",
        "The prescription was ready to collect the next morning as promised",
        "Counter staff were rude when I asked why my prescription was late",
        "Stock shortages mean I visit three shops to collect my medicines",
        "They delivered my prescription medicines to my door every month",
    ],
    "dental": [
        "Broken crown and no practice in town is taking new NHS patients for treatment",
        "The hygienist cleaned my gums gently and gave good advice",
        "My gums were bleeding and I waited months for treatment",
        "Needed a root canal and the wait for NHS treatment is months long",
        "My new denture rubs my gums and the fitting was rushed",
        "The hygienist showed my son how to brush properly",
        "Lost a crown and was told to pay privately for the treatment",
        "Gum disease was found early and the treatment was quick",
        "The root canal hurt but the treatment was explained well",
        "The denture clinic made a new plate that fits my gums",
        "Could not get an emergency slot for a cracked crown over the weekend",
        "The hygienist appointments are only available privately now",
        "My gums are swollen and the treatment list is closed to new patients",
        "Crown came loose a week after the treatment",
        "Kind hygienist who was patient with my nerves about treatment",
    ],
    "optometry": [
        "My eyesight check found early signs of pressure behind the eyes",
        "The new lenses were ready within a week and my vision is sharp",
        "The frames were bent when I collected them and the lenses scratched",
        "They checked my eyesight carefully and explained the results",
        "My vision has been blurry and they referred me about my eyes",
        "Free eyesight check for my dad and help choosing frames",
        "The lenses were the wrong strength and my vision was worse",
        "They measured the pressure in my eyes and the field of vision",
        "Reading lenses made up quickly and the frames fit well",
        "Waited an hour for my eyesight check even though I was booked",
        "My eyes were sore and they found a scratch on the surface",
        "The staff helped me pick frames and the lenses came in days",
        "They noticed changes in my eyes and the vision check was thorough",
        "The frames snapped after a month and they replaced the lenses free",
        "My eyesight has got worse and they explained what the vision test showed",
    ],
}

HELD_OUT: dict[str, list[str]] = {
    "gp": [
        "Rang the practice at eight and could not get a slot to see the doctor",
        "The doctor changed my tablets after a rushed phone call from the practice",
    ],
    "pharmacy": [
        "My prescription medicines were out of stock again when I went to collect",
        "Long queue at the counter to collect medicines",
    ],
    "dental": [
        "The hygienist said my gums need more treatment",
        "My crown broke and the treatment wait is long",
    ],
    "optometry": [
        "The lenses in my new frames are the wrong strength",
        "My eyesight check showed my vision has changed",
    ],
}

OFF_TOPIC = [
    "The council has not emptied the bins in my street for a fortnight",
    "Lovely sunny weather at the seaside this weekend",
    "Zażółć gęślą jaźń",
]


def examples(services: tuple[str, ...] | None = None) -> tuple[list[str], list[str]]:
    """Texts and labels of the training corpus (all services, or the ones named)."""
    texts, labels = [], []
    for service, sentences in TRAINING.items():
        if services is None or service in services:
            texts += sentences
            labels += [service] * len(sentences)
    return texts, labels
