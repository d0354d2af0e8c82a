"""The F1 help: what the screen on show is for, its steps, and the keyboard shortcuts."""

from __future__ import annotations

from html import escape

SCREEN_HELP: dict[str, tuple[str, list[str]]] = {
    "Cheque check": (
        "Check the signature on a cheque against the account holder's enrolled references.",
        ["Find the account by its number or the holder's name and click it.",
         "Open the cheque (Ctrl+O), drop the file on the cheque area, or scan it "
         "(Ctrl+Shift+S). PDF and multi-page TIFF scans: pick the page beside the buttons.",
         "Read the verdict: GENUINE, NEEDS REVIEW or FORGED, with the references it was "
         "compared with.",
         "If the signature was not found, drag a rectangle around it on the cheque.",
         "Record Accept, Refer or Reject. Going against the verdict needs a reason; paying "
         "a cheque called forged also needs a supervisor."]),
    "Banknotes": (
        "Name a banknote's denomination and judge whether it looks genuine.",
        ["Open a picture (Ctrl+O), drop it, scan it (Ctrl+Shift+S) or use the camera.",
         "Read the denomination, how sure the app is, and GENUINE or SUSPECT with the "
         "reasons.",
         "For both sides of one note, tick the other-side box and check the second side."]),
    "Enrollment": (
        "Enroll an account holder's reference signatures (3 to 10).",
        ["Create the account, or search for it.",
         "Add signature files (Ctrl+O) or a signature card; each page of a PDF is a "
         "candidate.",
         "Read the quality checks; remove doubtful signatures.",
         "Save the enrollment: all the usable signatures are stored, or none."]),
    "Banknote references": (
        "Enroll reference pictures of a currency's notes.",
        ["Choose the currency, denomination and side.",
         "Add pictures (Ctrl+O) or a whole currency folder, then save."]),
    "Audit log": (
        "Read who did what, and check that no entry was changed.",
        ["Filter by user, action, account and dates, then apply.",
         "Select a row to read the whole entry; tick Show hashes for its hashes.",
         "Verify chain walks every entry; Export CSV writes the filtered rows."]),
    "Users": (
        "Create users, change their roles, reset passwords, remove users.",
        ["A clerk checks cheques and banknotes; a supervisor also approves paying a cheque "
         "called forged; an operator enrolls; an admin manages everything."]),
    "Settings": (
        "Models, decision rules, store, signature zone, scanning and the idle lock.",
        ["Change what is needed and press Save; every change is in the audit log."]),
}

SHORTCUTS = (("Ctrl+O", "Open a file on this screen"), ("Ctrl+Shift+S", "Scan"),
             ("Esc", "Cancel the check that is running"), ("Ctrl+L", "Log out / switch user"),
             ("F1", "This help"), ("Ctrl+Q", "Quit"))


def help_html(screen: str) -> str:
    """Help for the screen named ``screen`` (a tab's title; empty when none is shown)."""
    parts = []
    if screen in SCREEN_HELP:
        purpose, steps = SCREEN_HELP[screen]
        parts.append(f"<h3>{escape(screen)}</h3><p>{escape(purpose)}</p><ol>"
                     + "".join(f"<li>{escape(step)}</li>" for step in steps) + "</ol>")
    parts.append("<h4>Keyboard shortcuts</h4><table>" + "".join(
        f"<tr><td><b>{escape(key)}</b>&nbsp;&nbsp;</td><td>{escape(what)}</td></tr>"
        for key, what in SHORTCUTS) + "</table>")
    return "".join(parts)
