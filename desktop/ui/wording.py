"""What the windows say about the core's state, in the user's language.

The core is Qt-free and describes itself in English for logs and the command line; the
windows build their own sentences from its structured facts (who signed a model, which
provider runs and why, which rule a decision follows, which option a code stands for), so
that they go through Qt's translation like every other visible string. A reason the core
gives as free text is translated when it is one of the fixed phrases below, else shown as
the core wrote it (a technical detail such as a missing library's name).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from desktop.core.branch.decisions import MIN_REASON, DecisionRule
from desktop.core.errors import InputImageError
from desktop.core.models.runtime import runtime_info

# The core's fixed reasons for running on the CPU (desktop/core/models/runtime.py).
PROVIDER_REASONS = {
    "CUDA disabled in the settings": QT_TRANSLATE_NOOP("Wording", "CUDA disabled in the settings"),
    "no NVIDIA GPU or driver found": QT_TRANSLATE_NOOP("Wording", "no NVIDIA GPU or driver found"),
    "this onnxruntime build has no CUDA support (install onnxruntime-gpu)": QT_TRANSLATE_NOOP(
        "Wording", "this onnxruntime build has no CUDA support (install onnxruntime-gpu)"),
    "CUDA could not start (driver, CUDA or cuDNN version mismatch)": QT_TRANSLATE_NOOP(
        "Wording", "CUDA could not start (driver, CUDA or cuDNN version mismatch)"),
}
KEY_ORIGINS = {  # where the core found a trusted key (desktop/core/models/keys.py)
    "shipped with the app": QT_TRANSLATE_NOOP("Wording", "shipped with the app"),
    "added by an administrator": QT_TRANSLATE_NOOP("Wording", "added by an administrator"),
    "this process": QT_TRANSLATE_NOOP("Wording", "this process"),
}
PROVIDER_CHOICES = {"auto": QT_TRANSLATE_NOOP("Wording", "automatic (CUDA when it works)"),
                    "cuda": QT_TRANSLATE_NOOP("Wording", "CUDA (NVIDIA GPU)"),
                    "cpu": QT_TRANSLATE_NOOP("Wording", "CPU only")}
METHODS = {"distance": QT_TRANSLATE_NOOP("Wording", "distance to the references"),
           "svm": QT_TRANSLATE_NOOP("Wording", "per-holder SVM"),
           "znorm": QT_TRANSLATE_NOOP("Wording", "distance, normalised against other writers"),
           "fusion": QT_TRANSLATE_NOOP("Wording", "fusion of distance and SVM")}


# A banknote verdict's reasons and caveats by their code (desktop/core/banknote), worded
# with the values the core gave.
NOTE_REASONS = {
    "same_side": QT_TRANSLATE_NOOP(
        "Wording", "both pictures show the {side}; the other side was not checked"),
    "different_notes": QT_TRANSLATE_NOOP(
        "Wording", "the sides belong to different notes ({first} and {second}): a glued "
        "counterfeit"),
    "enrolled_not_judged": QT_TRANSLATE_NOOP(
        "Wording", "an enrolled denomination: its printed detail matches the operator's "
        "reference, but the app has no counterfeit model for it and the embedder never learned "
        "it, so authenticity is not judged: check the security features by hand"),
    "embedder_disagrees": QT_TRANSLATE_NOOP(
        "Wording", "its printed detail matches the {note} but the embedder reads it as {other}"),
    "part_of_note": QT_TRANSLATE_NOOP(
        "Wording", "only {visible} of the note is in the picture: show the whole note to judge "
        "it"),
    "matches_in_part": QT_TRANSLATE_NOOP(
        "Wording", "its printed detail matches the {note} only in part ({agree} of {total} "
        "regions agree): a denomination or series that is not enrolled may share that design, "
        "or the picture is poor; compare the note with the reference"),
    "uncertain": QT_TRANSLATE_NOOP("Wording", "the denomination is uncertain ({confidence})"),
    "beyond_cluster": QT_TRANSLATE_NOOP(
        "Wording", "{distance} from the genuine {note} cluster, beyond the threshold "
        "{threshold}"),
    "counterfeit_score": QT_TRANSLATE_NOOP(
        "Wording", "the counterfeit model scores it {score} (threshold {threshold})"),
    "svm_disagrees": QT_TRANSLATE_NOOP("Wording", "the SVM reads it as {other}"),
}
# Why a file or a cheque cannot be checked (desktop/core/imaging, desktop/core/signature).
INPUT_PROBLEMS = {
    "file_not_found": QT_TRANSLATE_NOOP("Wording", "file not found"),
    "file_empty": QT_TRANSLATE_NOOP("Wording", "the file is empty (0 bytes)"),
    "file_too_large": QT_TRANSLATE_NOOP(
        "Wording", "the file is too large ({size} MB; limit {limit} MB)"),
    "damaged_kind": QT_TRANSLATE_NOOP(
        "Wording", "looks like a {kind} file but is damaged or truncated and cannot be decoded"),
    "not_an_image": QT_TRANSLATE_NOOP(
        "Wording", "is not an image in a supported format ({formats})"),
    "damaged": QT_TRANSLATE_NOOP(
        "Wording", "the file is damaged or truncated and cannot be decoded ({detail})"),
    "pdf_password": QT_TRANSLATE_NOOP(
        "Wording", "the PDF is password-protected: scan or save it again without a password"),
    "cheque_too_small": QT_TRANSLATE_NOOP(
        "Wording", "this does not look like a cheque: the image is {size} pixels, smaller than "
        "a cheque scanned at 150 dpi or more ({least}); a signature already cut out is checked "
        "in the comparison window instead"),
    "cheque_shape": QT_TRANSLATE_NOOP(
        "Wording", "this does not look like a cheque: the image is {size} pixels, {aspect} "
        "times as wide as tall, where a scan cropped to the cheque is {low} to {high} times"),
    "cheque_shape_turned": QT_TRANSLATE_NOOP(
        "Wording", "this does not look like a cheque: the image is {size} pixels, {aspect} "
        "times as wide as tall, where a scan cropped to the cheque is {low} to {high} times "
        "(is it turned 90 degrees?)"),
    "cheque_dark": QT_TRANSLATE_NOOP(
        "Wording", "the cheque image is entirely black/dark: no paper visible"),
    "cheque_blank": QT_TRANSLATE_NOOP("Wording", "the cheque is blank: no print or ink was found"),
    "zone_dark": QT_TRANSLATE_NOOP(
        "Wording", "this does not look like a cheque: {share} of the signature zone ({zone}) is "
        "dark, as in a photo or a block of print, not a signature on paper"),
    "no_signature": QT_TRANSLATE_NOOP(
        "Wording", "no signature found in the signature zone ({zone}); draw the zone around the "
        "signature on the cheque, or check the scan"),
    "zone_stamp": QT_TRANSLATE_NOOP(
        "Wording", "no signature found in the signature zone ({zone}): the marks there cover "
        "{share} of their box, as a picture or a stamp does, where handwriting covers a fifth "
        "or less"),
}
MESSAGES = {**NOTE_REASONS, **INPUT_PROBLEMS}
NOTE_SIDES = {"front": QT_TRANSLATE_NOOP("Wording", "front"),
              "back": QT_TRANSLATE_NOOP("Wording", "back")}


def _shown(text: str) -> str:
    """A text marked with QT_TRANSLATE_NOOP above, in the user's language."""
    return QCoreApplication.translate("Wording", text)


def signer_short(signer) -> str:
    """For a status bar: who signed a model, in a few words."""
    if signer is None:
        return QCoreApplication.translate("Wording", "unsigned")
    if signer.demo:
        return QCoreApplication.translate("Wording", "DEMO-signed (not for production)")
    return QCoreApplication.translate("Wording", "signed: {label}").format(label=signer.label)


def signer_text(signer) -> str:
    """Who signed a model, in a sentence (a tooltip, the settings screen)."""
    if signer is None:
        return QCoreApplication.translate("Wording", "not signature-checked")
    if signer.demo:
        return QCoreApplication.translate(
            "Wording", "signed by DEMO key {key}… (a public demo key anyone can sign with: "
            "not for production)").format(key=signer.key_id[:8])
    return QCoreApplication.translate("Wording", "signed by {label} key {key}…").format(
        label=signer.label, key=signer.key_id[:8])


def trusted_keys(keys) -> str:
    """The trusted model-signing keys, one after the other."""
    parts = []
    for k in keys:
        text = (QCoreApplication.translate("Wording", "DEMO key {label} {key} ({origin})")
                if k.demo else "{label} {key} ({origin})")
        origin = _shown(KEY_ORIGINS[k.origin]) if k.origin in KEY_ORIGINS else k.origin
        parts.append(text.format(label=k.label, key=k.key_id, origin=origin))
    separator = QCoreApplication.translate("Wording", "; ", "between the items of a list")
    return separator.join(parts) or QCoreApplication.translate("Wording", "none")


def provider_reason(reason: str) -> str:
    """Why a model runs on the CPU, translated when it is one of the core's fixed phrases."""
    return _shown(PROVIDER_REASONS[reason]) if reason in PROVIDER_REASONS else reason


def provider_status(info) -> str:
    """For a status bar: ``CUDA``, or ``CPU`` with the gist of why (as ``info.status``)."""
    if info.label == "CUDA" or not info.reason:
        return info.label
    return QCoreApplication.translate("Wording", "{device}: {reason}").format(
        device=info.label, reason=provider_reason(info.reason_gist))


def provider_text(info) -> str:
    """Which device runs a model, what was asked for, and why not CUDA."""
    text = QCoreApplication.translate("Wording", "{device} (asked for: {requested})").format(
        device=info.label, requested=provider_choice(info.requested))
    if info.reason:
        text = QCoreApplication.translate("Wording", "{text}: {reason}").format(
            text=text, reason=provider_reason(info.reason))
    return text


def runtime_text() -> str:
    """The onnxruntime in use and the devices its build offers (a tooltip for support)."""
    version, offered = runtime_info()
    return QCoreApplication.translate("Wording", "onnxruntime {version}; this build offers: "
                                      "{devices}").format(version=version,
                                                          devices=", ".join(offered))


def provider_choice(code: str) -> str:
    """A provider setting ("auto", "cuda", "cpu") in words."""
    return _shown(PROVIDER_CHOICES[code]) if code in PROVIDER_CHOICES else code


def method_name(code: str) -> str:
    """A decision method's code in words."""
    return _shown(METHODS[code]) if code in METHODS else code


def decision_rule_text(rule: DecisionRule) -> str:
    """What recording a decision takes, in a sentence for the clerk."""
    if rule.needs_approval:
        return QCoreApplication.translate(
            "Wording", "needs a reason ({n}+ characters) and a supervisor's approval (their "
            "name and password)").format(n=MIN_REASON)
    if rule.needs_reason:
        return QCoreApplication.translate(
            "Wording", "goes against the verdict: needs a reason ({n}+ characters)").format(
            n=MIN_REASON)
    return QCoreApplication.translate("Wording", "no reason needed")


def worded(message: str) -> str:
    """A message of the core (a banknote reason, why a file or a cheque cannot be checked)
    in the user's language; as the core wrote it when its code is not known here."""
    code, values = getattr(message, "code", None), dict(getattr(message, "values", {}))
    if code not in MESSAGES:
        return str(message)
    if values.get("side") in NOTE_SIDES:
        values["side"] = _shown(NOTE_SIDES[values["side"]])
    try:
        return _shown(MESSAGES[code]).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation naming a value the core lacks
        return str(message)


def error_text(exc: BaseException) -> str:
    """What a window says for an error of the core: a file's problem in the user's language
    when the core gave it a code, else the core's sentence."""
    problem = getattr(exc, "problem", None)
    if isinstance(exc, InputImageError) and getattr(problem, "code", None) in MESSAGES:
        if exc.path is None:
            return worded(problem)
        return QCoreApplication.translate("Wording", "{file}: {problem}").format(
            file=exc.path, problem=worded(problem))
    return str(exc)
