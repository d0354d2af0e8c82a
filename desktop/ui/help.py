"""The F1 help: what the screen on show is for, its steps, and the keyboard shortcuts."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

HELP_CONTEXT = "ScreenHelp"

# Keyed by the BranchWindow attribute that holds the screen (not by the tab's title, which is
# translated); the texts are translated where they are shown (help_html).
SCREEN_HELP: dict[str, tuple[str, list[str]]] = {
    "check_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Check the signature on a cheque against the account "
                          "holder's enrolled references."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "Find the account by its number or the holder's "
                           "name and click it."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Open the cheque (Ctrl+O), drop the file on the "
                           "cheque area, or scan it (Ctrl+Shift+S). PDF and multi-page TIFF "
                           "scans: pick the page beside the buttons."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Read the verdict: GENUINE, NEEDS REVIEW or FORGED, "
                           "with the references it was compared with."),
         QT_TRANSLATE_NOOP("ScreenHelp", "If the signature was not found, drag a rectangle "
                           "around it on the cheque."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Record Accept, Refer or Reject. Going against the "
                           "verdict needs a reason; paying a cheque called forged also needs "
                           "a supervisor.")]),
    "banknote_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Name a banknote's denomination and judge whether it "
                          "looks genuine."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "Open a picture (Ctrl+O), drop it, scan it "
                           "(Ctrl+Shift+S) or use the camera."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Read the denomination, how sure the app is, and "
                           "GENUINE or SUSPECT with the reasons."),
         QT_TRANSLATE_NOOP("ScreenHelp", "For both sides of one note, tick the other-side box "
                           "and check the second side.")]),
    "enroll_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Enroll an account holder's reference signatures "
                          "(3 to 10)."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "Create the account, or search for it."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Add signature files (Ctrl+O) or a signature card; "
                           "each page of a PDF is a candidate."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Read the quality checks; remove doubtful "
                           "signatures."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Save the enrollment: all the usable signatures are "
                           "stored, or none.")]),
    "banknote_enroll_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Enroll reference pictures of a currency's notes."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "Choose the currency, denomination and side."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Add pictures (Ctrl+O) or a whole currency folder, "
                           "then save.")]),
    "audit_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Read who did what, and check that no entry was "
                          "changed."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "Filter by user, action, account and dates, then "
                           "apply."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Select a row to read the whole entry; tick Show "
                           "hashes for its hashes."),
         QT_TRANSLATE_NOOP("ScreenHelp", "Verify chain walks every entry; Export CSV writes "
                           "the filtered rows.")]),
    "users_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Create users, change their roles, reset passwords, "
                          "remove users."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "A clerk checks cheques and banknotes; a supervisor "
                           "also approves paying a cheque called forged; an operator enrolls; "
                           "an admin manages everything.")]),
    "settings_screen": (
        QT_TRANSLATE_NOOP("ScreenHelp", "Models, decision rules, store, signature zone, "
                          "scanning and the idle lock."),
        [QT_TRANSLATE_NOOP("ScreenHelp", "Change what is needed and press Save; every change "
                           "is in the audit log.")]),
}

SHORTCUTS = (("Ctrl+O", QT_TRANSLATE_NOOP("ScreenHelp", "Open a file on this screen")),
             ("Ctrl+Shift+S", QT_TRANSLATE_NOOP("ScreenHelp", "Scan")),
             ("Esc", QT_TRANSLATE_NOOP("ScreenHelp", "Cancel the check that is running")),
             ("Ctrl+L", QT_TRANSLATE_NOOP("ScreenHelp", "Log out / switch user")),
             ("F1", QT_TRANSLATE_NOOP("ScreenHelp", "This help")),
             ("Ctrl+Q", QT_TRANSLATE_NOOP("ScreenHelp", "Quit")))


def _tr(text: str) -> str:
    return QCoreApplication.translate(HELP_CONTEXT, text)


def help_html(screen: str, title: str = "") -> str:
    """Help for the screen held in the window's attribute ``screen`` (e.g. "check_screen";
    empty when none is shown), headed by ``title`` (the tab's title as shown)."""
    parts = []
    if screen in SCREEN_HELP:
        purpose, steps = SCREEN_HELP[screen]
        parts.append(f"<h3>{escape(title)}</h3><p>{escape(_tr(purpose))}</p><ol>"
                     + "".join(f"<li>{escape(_tr(step))}</li>" for step in steps) + "</ol>")
    heading = QCoreApplication.translate("ScreenHelp", "Keyboard shortcuts")
    parts.append(f"<h4>{escape(heading)}</h4><table>" + "".join(
        f"<tr><td><b>{escape(key)}</b>&nbsp;&nbsp;</td><td>{escape(_tr(what))}</td></tr>"
        for key, what in SHORTCUTS) + "</table>")
    return "".join(parts)
