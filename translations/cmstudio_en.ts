<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>BatchHistory</name>
    <message numerus="yes">
        <source>#%1 %2 · %3 · %4 · %n image(s)</source>
        <translation>
            <numerusform>#%1 %2 · %3 · %4 · %n image</numerusform>
            <numerusform>#%1 %2 · %3 · %4 · %n images</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ClassPicker</name>
    <message numerus="yes">
        <source>Type to search %n class(es)</source>
        <translation>
            <numerusform>Type to search %n class</numerusform>
            <numerusform>Type to search %n classes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CompressView</name>
    <message numerus="yes">
        <source>paste a code of %n hex digit(s) to decode it</source>
        <translation>
            <numerusform>paste a code of %n hex digit to decode it</numerusform>
            <numerusform>paste a code of %n hex digits to decode it</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n bit(s) in %1 hex digits; %2 bits per pixel</source>
        <translation>
            <numerusform>%n bit in %1 hex digits; %2 bits per pixel</numerusform>
            <numerusform>%n bits in %1 hex digits; %2 bits per pixel</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n step(s): flow decoder</source>
        <translation>
            <numerusform>%n step: flow decoder</numerusform>
            <numerusform>%n steps: flow decoder</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1
%n evaluation(s)
%2 ms</source>
        <translation>
            <numerusform>%1
%n evaluation
%2 ms</numerusform>
            <numerusform>%1
%n evaluations
%2 ms</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1: %n bit(s) per image</source>
        <translation>
            <numerusform>%1: %n bit per image</numerusform>
            <numerusform>%1: %n bits per image</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>New codes from %1, each decoded with %n flow step(s)</source>
        <translation>
            <numerusform>New codes from %1, each decoded with %n flow step</numerusform>
            <numerusform>New codes from %1, each decoded with %n flow steps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1
%n evaluation(s)</source>
        <translation>
            <numerusform>%1
%n evaluation</numerusform>
            <numerusform>%1
%n evaluations</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1
%2 bits
%n evaluation(s)
%3</source>
        <translation>
            <numerusform>%1
%2 bits
%n evaluation
%3</numerusform>
            <numerusform>%1
%2 bits
%n evaluations
%3</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1
%2 bits
%n byte(s)
%3</source>
        <translation>
            <numerusform>%1
%2 bits
%n byte
%3</numerusform>
            <numerusform>%1
%2 bits
%n bytes
%3</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GenerateView</name>
    <message numerus="yes">
        <source>%n image(s) in %1 s; network evaluations per image: %2</source>
        <translation>
            <numerusform>%n image in %1 s; network evaluations per image: %2</numerusform>
            <numerusform>%n images in %1 s; network evaluations per image: %2</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n step(s)</source>
        <translation>
            <numerusform>%n step</numerusform>
            <numerusform>%n steps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Heun, %n NFE</source>
        <translation>
            <numerusform>Heun, %n NFE</numerusform>
            <numerusform>Heun, %n NFE</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Generated %n image(s) in %1 s</source>
        <translation>
            <numerusform>Generated %n image in %1 s</numerusform>
            <numerusform>Generated %n images in %1 s</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Saved %n image(s) to %1</source>
        <translation>
            <numerusform>Saved %n image to %1</numerusform>
            <numerusform>Saved %n images to %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of the files exist in %1.</source>
        <translation>
            <numerusform>%n of the files exists in %1.</numerusform>
            <numerusform>%n of the files exist in %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) could not be saved:</source>
        <translation>
            <numerusform>%n image could not be saved:</numerusform>
            <numerusform>%n images could not be saved:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Code of %n bit(s): %1</source>
        <translation>
            <numerusform>Code of %n bit: %1</numerusform>
            <numerusform>Code of %n bits: %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Stylised %n image(s)</source>
        <translation>
            <numerusform>Stylised %n image</numerusform>
            <numerusform>Stylised %n images</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ModelPanel</name>
    <message numerus="yes">
        <source>, … (%n more)</source>
        <translation>
            <numerusform>, … (%n more)</numerusform>
            <numerusform>, … (%n more)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ScheduleEditor</name>
    <message numerus="yes">
        <source>Values: %1 given for %n step(s)</source>
        <translation>
            <numerusform>Values: %1 given for %n step</numerusform>
            <numerusform>Values: %1 given for %n steps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n network evaluation(s) per image; σ = %1</source>
        <translation>
            <numerusform>%n network evaluation per image; σ = %1</numerusform>
            <numerusform>%n network evaluations per image; σ = %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n network evaluation(s) per image</source>
        <translation>
            <numerusform>%n network evaluation per image</numerusform>
            <numerusform>%n network evaluations per image</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StyleView</name>
    <message numerus="yes">
        <source>denoiser sampled with Heun: %n point(s) by default</source>
        <translation>
            <numerusform>denoiser sampled with Heun: %n point by default</numerusform>
            <numerusform>denoiser sampled with Heun: %n points by default</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Run %1 of %2, one row per prompt: %3; %n image(s) each from seed %4; evaluations per image: %5</source>
        <translation>
            <numerusform>Run %1 of %2, one row per prompt: %3; %n image each from seed %4; evaluations per image: %5</numerusform>
            <numerusform>Run %1 of %2, one row per prompt: %3; %n images each from seed %4; evaluations per image: %5</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrainingView</name>
    <message numerus="yes">
        <source>%1
%2, %n row(s)</source>
        <translation>
            <numerusform>%1
%2, %n row</numerusform>
            <numerusform>%1
%2, %n rows</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n non-finite value(s) left out of the plot</source>
        <translation>
            <numerusform>%n non-finite value left out of the plot</numerusform>
            <numerusform>%n non-finite values left out of the plot</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Following %n log(s).</source>
        <translation>
            <numerusform>Following %n log.</numerusform>
            <numerusform>Following %n logs.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n non-finite value(s) left out.</source>
        <translation>
            <numerusform>%n non-finite value left out.</numerusform>
            <numerusform>%n non-finite values left out.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n log(s) could not be read.</source>
        <translation>
            <numerusform>%n log could not be read.</numerusform>
            <numerusform>%n logs could not be read.</numerusform>
        </translation>
    </message>
</context>
</TS>
