<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AuditScreen</name>
    <message numerus="yes">
        <source>%n reference(s)</source>
        <translation>
            <numerusform>%n reference</numerusform>
            <numerusform>%n references</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Chain intact: %n rows verified.</source>
        <translation>
            <numerusform>Chain intact: %n row verified.</numerusform>
            <numerusform>Chain intact: %n rows verified.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>BanknoteEnrollScreen</name>
    <message numerus="yes">
        <source>%n picture(s) ready to save as {key}.</source>
        <translation>
            <numerusform>%n picture ready to save as {key}.</numerusform>
            <numerusform>%n pictures ready to save as {key}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Saved {done} of %n side(s).</source>
        <translation>
            <numerusform>Saved {done} of %n side.</numerusform>
            <numerusform>Saved {done} of %n sides.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>BanknoteScreen</name>
    <message numerus="yes">
        <source>%n pages were scanned; the first is checked. The pages are in {folder}.</source>
        <translation>
            <numerusform>%n page was scanned; it is checked. It is in {folder}.</numerusform>
            <numerusform>%n pages were scanned; the first is checked. The pages are in {folder}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Printed detail: %n keypoints agree with the {note} reference.</source>
        <translation>
            <numerusform>Printed detail: %n keypoint agrees with the {note} reference.</numerusform>
            <numerusform>Printed detail: %n keypoints agree with the {note} reference.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>BranchWindow</name>
    <message numerus="yes">
        <source>%n denominations shipped</source>
        <translation>
            <numerusform>%n denomination shipped</numerusform>
            <numerusform>%n denominations shipped</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CheckScreen</name>
    <message numerus="yes">
        <source>Account {number} · %n reference(s)</source>
        <translation>
            <numerusform>Account {number} · %n reference</numerusform>
            <numerusform>Account {number} · %n references</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Against %n references ({method} method, {far}): genuine at similarity ≥ {accept}, forged below {reject}, needs review in between. Skew corrected {angle}°. Model {model} on {provider}. Audit #{audit}.</source>
        <translation>
            <numerusform>Against %n reference ({method} method, {far}): genuine at similarity ≥ {accept}, forged below {reject}, needs review in between. Skew corrected {angle}°. Model {model} on {provider}. Audit #{audit}.</numerusform>
            <numerusform>Against %n references ({method} method, {far}): genuine at similarity ≥ {accept}, forged below {reject}, needs review in between. Skew corrected {angle}°. Model {model} on {provider}. Audit #{audit}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Matches the %n reference(s) closely: similarity {value}, where {accept} or more counts as genuine.</source>
        <translation>
            <numerusform>Matches the %n reference closely: similarity {value}, where {accept} or more counts as genuine.</numerusform>
            <numerusform>Matches the %n references closely: similarity {value}, where {accept} or more counts as genuine.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Differs from the %n reference(s): similarity {value}, below {reject}, where a signature counts as forged; the closest one ({closest}) is {best} alike. Compare it with the references on the left before you decide.</source>
        <translation>
            <numerusform>Differs from the reference: similarity {value}, below {reject}, where a signature counts as forged. Compare it with the reference on the left before you decide.</numerusform>
            <numerusform>Differs from the %n references: similarity {value}, below {reject}, where a signature counts as forged; the closest one ({closest}) is {best} alike. Compare it with the references on the left before you decide.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Resembles the %n reference(s), but not closely enough to pass (similarity {value}; genuine from {accept}): compare it by eye with the references on the left.</source>
        <translation>
            <numerusform>Resembles the %n reference, but not closely enough to pass (similarity {value}; genuine from {accept}): compare it by eye with the references on the left.</numerusform>
            <numerusform>Resembles the %n references, but not closely enough to pass (similarity {value}; genuine from {accept}): compare it by eye with the references on the left.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more earlier decision(s) in the audit log.</source>
        <translation>
            <numerusform>%n more earlier decision in the audit log.</numerusform>
            <numerusform>%n more earlier decisions in the audit log.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>This file has %n pages: pick another page above.</source>
        <translation>
            <numerusform>This file has %n page: pick another page above.</numerusform>
            <numerusform>This file has %n pages: pick another page above.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EnrollScreen</name>
    <message numerus="yes">
        <source>Saved: %n reference(s) enrolled.</source>
        <translation>
            <numerusform>Saved: %n reference enrolled.</numerusform>
            <numerusform>Saved: %n references enrolled.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Genuine from similarity {accept}, forged below {reject}, needs review in between (against %n reference(s)).</source>
        <translation>
            <numerusform>Genuine from similarity {accept}, forged below {reject}, needs review in between (against %n reference).</numerusform>
            <numerusform>Genuine from similarity {accept}, forged below {reject}, needs review in between (against %n references).</numerusform>
        </translation>
    </message>
</context>
</TS>
