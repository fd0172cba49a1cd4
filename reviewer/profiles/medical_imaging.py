"""What the extractive comparison table needs to fill the medical-imaging profile's
modality column: the names of imaging modalities and clinical signals, and whether a
paper is medical at all (so that a physics paper's "X-ray" or a genomics "ChIA-PET" is
not a modality). Kept here, with the profile, so that no other module carries a field's
vocabulary."""

from __future__ import annotations

import re

MODALITY_WORDS = (
    r"computed tomography|CT|cone[- ]beam CT|CBCT|magnetic resonance(?: imaging)?|f?MRI|"
    r"MR(?= (?:images?|imaging|scans?|sequences?|volumes?|slices?))|DTI|"
    r"positron emission tomography[-/ ]computed tomography|positron emission tomography|"
    r"(?:FDG|PSMA|amyloid|tau|PiB)-PET(?:/CT|-CT)?|PET(?:/CT|-CT)?|SPECT|"
    r"single[- ]photon emission computed tomography|X-?rays?|CXRs?|radiographs?|radiography|"
    r"mammograph(?:y|ic|s)|mammograms?|fluoroscopy|angiograph(?:y|ic|s)|ultrasound|"
    r"ultrasonography|sonography|echocardiograph(?:y|ic|s)|endoscop(?:y|ic)|colonoscop(?:y|ic)|"
    r"capsule endoscopy|dermoscop(?:y|ic)|fundus|optical coherence tomography|OCT|"
    r"histopatholog(?:y|ical)|whole[- ]slide images?|WSIs?|H&E|"
    r"patholog(?:y|ical) (?:images|slides)|"
    r"cytolog(?:y|ical)|microscop(?:y|ic)|hyperspectral(?: imaging| images?)?|"
    r"electrocardiogra(?:m|ms|phy)|ECGs?|EKG|electroencephalogra(?:m|ms|phy)|EEG|EMG|"
    r"Holter(?: monitoring)?|scintigraphy|elastography"
)
MODALITY = re.compile(rf"(?<![\w-])(?:{MODALITY_WORDS})(?![\w-])", re.IGNORECASE)
# Upper-case short names stay as written (CT, OCT, PET, EEG; not "ct" or "pet").
SHORT = {
    "ct",
    "cbct",
    "mri",
    "fmri",
    "mr",
    "dti",
    "pet",
    "pet/ct",
    "pet-ct",
    "spect",
    "oct",
    "cxr",
    "cxrs",
    "wsi",
    "wsis",
    "ecg",
    "ecgs",
    "ekg",
    "eeg",
    "emg",
}
MEDICAL_CONTEXT = re.compile(
    r"\b(?:medical|medicine|clinical|clinic|clinicians?|patients?|hospitals?|healthcare|"
    r"diseases?|tumou?rs?|cancers?|lesions?|radiolog\w*|radiotherapy|patholog\w*|anatom\w*|"
    r"organs?|surg(?:ery|ical)|diagnos(?:is|es)|physicians?|cardiac|cardiolog\w*|"
    r"brain|lungs?|liver|kidney|breast|retina[l]?|ophthalm\w*|dermatolog\w*|polyps?)\b",
    re.IGNORECASE,
)


def has_medical_context(text: str) -> bool:
    return MEDICAL_CONTEXT.search(text) is not None


def modalities(text: str) -> list[str]:
    found = []
    for m in MODALITY.finditer(text):
        term = m.group(0)
        if term.lower() in SHORT and term != term.upper() and not term.startswith("f"):
            continue
        found.append(term)
    seen: set[str] = set()
    out = []
    for term in found:
        if term.lower() not in seen:
            seen.add(term.lower())
            out.append(term)
    return out
