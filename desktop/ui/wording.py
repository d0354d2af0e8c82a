"""What the windows say about the core's state, in the user's language.

The core is Qt-free and describes itself in English for logs and the command line; the
windows build their own sentences from its structured facts (who signed a model, which
provider runs and why, which rule a decision follows, which option a code stands for), so
that they go through Qt's translation like every other visible string. The core's messages
to a person (:class:`~desktop.core.errors.Message`) carry their marked English template and
values, and are worded here; a free-text reason is translated when it is one of the fixed
phrases below, else shown as the core wrote it (a technical detail such as a missing
library's name).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from desktop.core.banknote.manifest import NoteClass
from desktop.core.branch.decisions import DecisionRule
from desktop.core.errors import InputImageError, ModelError
from desktop.core.models.runtime import runtime_info

# The core's fixed reasons for running on the CPU (runtime.FIXED_CPU_REASONS) and their gists
# (the status bar's short form, ProviderInfo.reason_gist); lupdate reads only literals, so
# they are written out here and a test checks that they match the core's.
PROVIDER_REASONS = {
    "CUDA disabled in the settings": QT_TRANSLATE_NOOP("Wording", "CUDA disabled in the settings"),
    "no NVIDIA GPU or driver found": QT_TRANSLATE_NOOP("Wording", "no NVIDIA GPU or driver found"),
    "this onnxruntime build has no CUDA support (install onnxruntime-gpu)": QT_TRANSLATE_NOOP(
        "Wording", "this onnxruntime build has no CUDA support (install onnxruntime-gpu)"),
    "this onnxruntime build has no CUDA support": QT_TRANSLATE_NOOP(
        "Wording", "this onnxruntime build has no CUDA support"),
    "CUDA could not start (driver, CUDA or cuDNN version mismatch)": QT_TRANSLATE_NOOP(
        "Wording", "CUDA could not start (driver, CUDA or cuDNN version mismatch)"),
    "CUDA could not start": QT_TRANSLATE_NOOP("Wording", "CUDA could not start"),
}
KEY_ORIGINS = {  # where the core found a trusted key (keys.KEY_ORIGINS)
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


def note_name(key: str) -> str:
    """A note's class key ("CYR-50-front") as a clerk reads it, in the user's language ("CYR
    50, front"); a key that is not one as it is."""
    try:
        return worded(NoteClass.from_key(key).label)
    except ValueError:
        return key


def decision_rule_text(rule: DecisionRule) -> str:
    """What recording a decision takes, in a sentence for the clerk."""
    return worded(rule.describe())


def worded(message: str) -> str:
    """A sentence or word of the core (:class:`~desktop.core.errors.Message`: a banknote
    reason, why a file or a cheque cannot be checked, a refusal) in the user's language, its
    values worded in turn; any other text as it is."""
    template = getattr(message, "template", None)
    if template is None:
        return str(message)
    values = {k: worded(v) for k, v in message.values.items()}
    try:
        return QCoreApplication.translate("", template).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation naming a value the core lacks
        return str(message)


def error_text(exc: BaseException) -> str:
    """What a window says for an error of the core, in the user's language where the core
    gave a :class:`~desktop.core.errors.Message`, with the file it names (if any)."""
    path, problem = getattr(exc, "path", None), getattr(exc, "problem", None)
    if isinstance(exc, (InputImageError, ModelError)):
        if getattr(problem, "template", None) is None:
            return str(exc)
        if path is None:
            return worded(problem)
        return QCoreApplication.translate("Wording", "{file}: {problem}").format(
            file=path, problem=worded(problem))
    return worded(exc.args[0]) if len(exc.args) == 1 else str(exc)
