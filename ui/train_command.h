// The command line of a training run: from TrainSettings (what the Train dialog offers) to the arguments
// of `cmstudio-cli train`, the files the run writes, and why settings cannot start. Qt Core only.
#pragma once

#include <QCoreApplication>
#include <QString>
#include <QStringList>

// The trainer's options the dialog offers; everything else goes in extraArguments.
struct TrainSettings {
    QString mode = QStringLiteral("ict");           // edm, cd, ict or ect
    QString data = QStringLiteral("fashion-mnist"); // "fashion-mnist" or an image folder
    int imageSize = 28;                             // folders only
    int channels = 1;                               // folders only: 1 grey, 3 RGB
    bool conditional = false;
    long steps = 10000;
    int batch = 64;
    double learningRate = 2e-4;
    QString ema = QStringLiteral("0.9999"); // comma-separated rates; the first is saved
    int threads = 0;                        // 0: LibTorch's default
    int processes = 1;                      // > 1: data-parallel processes on this machine (--nproc)
    QString teacher;                        // cd and ect
    QString output;                         // the model file; its log is OUTPUT.csv
    long logEvery = 100;
    long checkpointEvery = 1000;
    bool resume = false;
    bool overwrite = false;
    QStringList extraArguments; // e.g. --base-width 8 --channel-mult 1,2
};

class TrainCommand {
    Q_DECLARE_TR_FUNCTIONS(TrainCommand)

  public:
    static const QString kFashionMnist; // the data set the trainer bundles, as --data names it

    // The arguments after the program name, for these settings.
    static QStringList arguments(const TrainSettings& settings);
    // The same run on `machines` machines through torchrun, `settings.processes` (at least 1) on each, to
    // type on every machine: rank 0's machine answers at `endpoint` (host:port) and writes the files;
    // the data (and teacher) must be at the same paths on all of them.
    static QString multiMachineCommand(const QString& program, const TrainSettings& settings, int machines,
                                       const QString& endpoint);
    static QString logPath(const TrainSettings& settings);        // OUTPUT.csv
    static QString checkpointPath(const TrainSettings& settings); // OUTPUT.ckpt
    // Why these settings cannot start (missing output, existing run, no teacher...); empty if they can.
    static QString problem(const TrainSettings& settings);

    static bool isFashionMnist(const QString& data); // also "fashion-mnist:<variant>"
    static bool needsTeacher(const QString& mode);   // cd and ect start from a denoiser

    // The command as typed in a POSIX shell: words quoted only where the shell would split or expand them.
    static QString shellQuoted(const QString& program, const QStringList& arguments);
    // The extra arguments in the dialog's field: split as QProcess::splitCommand does (double quotes group
    // words), joined with shellQuoted's single quotes, which that split does not undo.
    static QStringList splitArguments(const QString& text);
    static QString joinArguments(const QStringList& arguments);
};
