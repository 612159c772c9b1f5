<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>ClassesPage</name>
    <message numerus="yes">
        <source>%n minute(s) old</source>
        <translation>
            <numerusform>%n minute old</numerusform>
            <numerusform>%n minutes old</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s) old</source>
        <translation>
            <numerusform>%n hour old</numerusform>
            <numerusform>%n hours old</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %1? Its %n student(s) leave the class and you no longer see their mastery. Their own work stays on their laptops and on the server.</source>
        <translation>
            <numerusform>Delete %1? Its %n student leave the class and you no longer see their mastery. Their own work stays on their laptops and on the server.</numerusform>
            <numerusform>Delete %1? Its %n students leave the class and you no longer see their mastery. Their own work stays on their laptops and on the server.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ExamDayWords</name>
    <message numerus="yes">
        <source>%n day(s) left</source>
        <translation>
            <numerusform>%n day left</numerusform>
            <numerusform>%n days left</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HomePage</name>
    <message numerus="yes">
        <source>%n attempt(s). Press Enter to practise.</source>
        <translation>
            <numerusform>%n attempt. Press Enter to practise.</numerusform>
            <numerusform>%n attempts. Press Enter to practise.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n attempt(s)</source>
        <translation>
            <numerusform>%n attempt</numerusform>
            <numerusform>%n attempts</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ImportPanel</name>
    <message numerus="yes">
        <source>Kept %n topic(s) this version drops, still used by questions not from the bank: %1.</source>
        <translation>
            <numerusform>Kept %n topic this version drops, still used by questions not from the bank: %1.</numerusform>
            <numerusform>Kept %n topics this version drops, still used by questions not from the bank: %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Kept %n concept(s) this version drops, still used by questions not from the bank: %1.</source>
        <translation>
            <numerusform>Kept %n concept this version drops, still used by questions not from the bank: %1.</numerusform>
            <numerusform>Kept %n concepts this version drops, still used by questions not from the bank: %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Nothing was imported: the file has %n problem(s). Fix them and import it again.</source>
        <translation>
            <numerusform>Nothing was imported: the file has %n problem. Fix them and import it again.</numerusform>
            <numerusform>Nothing was imported: the file has %n problems. Fix them and import it again.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PlanPage</name>
    <message numerus="yes">
        <source>%n day(s) until the exam · %1 of %2 hours done · plan made %3</source>
        <translation>
            <numerusform>%n day until the exam · %1 of %2 hours done · plan made %3</numerusform>
            <numerusform>%n days until the exam · %1 of %2 hours done · plan made %3</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ProfileForm</name>
    <message numerus="yes">
        <source>Your exam is in %n day(s). Is that the right date? If it is, press “%1” again.</source>
        <translation>
            <numerusform>Your exam is in %n day. Is that the right date? If it is, press “%1” again.</numerusform>
            <numerusform>Your exam is in %n days. Is that the right date? If it is, press “%1” again.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyllabusPage</name>
    <message numerus="yes">
        <source>%n question(s). Press Enter to practise.</source>
        <translation>
            <numerusform>%n question. Press Enter to practise.</numerusform>
            <numerusform>%n questions. Press Enter to practise.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncCard</name>
    <message numerus="yes">
        <source>The server refused %n change(s). Your work stays on this computer:</source>
        <translation>
            <numerusform>The server refused %n change. Your work stays on this computer:</numerusform>
            <numerusform>The server refused %n changes. Your work stays on this computer:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncStatusWidget</name>
    <message numerus="yes">
        <source>%n change(s) waiting</source>
        <translation>
            <numerusform>%n change waiting</numerusform>
            <numerusform>%n changes waiting</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n change(s) refused by the server (see Settings)</source>
        <translation>
            <numerusform>%n change refused by the server (see Settings)</numerusform>
            <numerusform>%n changes refused by the server (see Settings)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Synced %n min ago</source>
        <translation>
            <numerusform>Synced %n min ago</numerusform>
            <numerusform>Synced %n min ago</numerusform>
        </translation>
    </message>
</context>
</TS>
