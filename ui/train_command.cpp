#include "ui/train_command.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>

const QString TrainCommand::kFashionMnist = QStringLiteral("fashion-mnist");

bool TrainCommand::isFashionMnist(const QString& data) {
    return data == kFashionMnist || data.startsWith(kFashionMnist + QLatin1Char(':'));
}

bool TrainCommand::needsTeacher(const QString& mode) {
    return mode == QLatin1String("cd") || mode == QLatin1String("ect");
}

QStringList TrainCommand::arguments(const TrainSettings& s) {
    QStringList args{QStringLiteral("train"), QStringLiteral("--mode"), s.mode, QStringLiteral("--data"),
                     s.data};
    if (!isFashionMnist(s.data))
        args << QStringLiteral("--image-size") << QString::number(s.imageSize) << QStringLiteral("--channels")
             << QString::number(s.channels);
    if (s.conditional) args << QStringLiteral("--conditional");
    if (needsTeacher(s.mode)) args << QStringLiteral("--teacher") << s.teacher;
    args << QStringLiteral("--steps") << QString::number(s.steps) << QStringLiteral("--batch")
         << QString::number(s.batch) << QStringLiteral("--lr") << QString::number(s.learningRate, 'g', 6)
         << QStringLiteral("--ema") << s.ema;
    if (s.threads > 0) args << QStringLiteral("--threads") << QString::number(s.threads);
    args << QStringLiteral("--out") << s.output << QStringLiteral("--log-every")
         << QString::number(s.logEvery) << QStringLiteral("--checkpoint-every")
         << QString::number(s.checkpointEvery);
    if (s.resume) args << QStringLiteral("--resume");
    if (s.overwrite) args << QStringLiteral("--overwrite");
    if (s.processes > 1) args << QStringLiteral("--nproc") << QString::number(s.processes);
    return args + s.extraArguments;
}

QString TrainCommand::multiMachineCommand(const QString& program, const TrainSettings& settings, int machines,
                                          const QString& endpoint) {
    TrainSettings perMachine = settings;
    perMachine.processes = 1; // torchrun starts them
    // The underscore spellings: torchrun 1.13 (Debian 12) knows no others, later versions accept both.
    const QStringList launcher{
        QStringLiteral("--nnodes"),         QString::number(std::max(1, machines)),
        QStringLiteral("--nproc_per_node"), QString::number(std::max(1, settings.processes)),
        QStringLiteral("--rdzv_backend"),   QStringLiteral("c10d"),
        QStringLiteral("--rdzv_endpoint"),  endpoint,
        QStringLiteral("--no_python"),      program};
    return shellQuoted(QStringLiteral("torchrun"), launcher + arguments(perMachine));
}

QString TrainCommand::logPath(const TrainSettings& s) {
    return s.output + QStringLiteral(".csv");
}

QString TrainCommand::checkpointPath(const TrainSettings& s) {
    return s.output + QStringLiteral(".ckpt");
}

QString TrainCommand::problem(const TrainSettings& s) {
    if (s.output.isEmpty()) return tr("Choose the model file to write.");
    const QFileInfo output(s.output);
    if (!output.absoluteDir().exists()) return tr("The folder %1 does not exist.").arg(output.absolutePath());
    if (needsTeacher(s.mode)) {
        if (s.teacher.isEmpty()) return tr("%1 needs a teacher: an EDM denoiser file.").arg(s.mode.toUpper());
        if (!QFileInfo(s.teacher).isFile()) return tr("The teacher %1 does not exist.").arg(s.teacher);
    }
    if (!isFashionMnist(s.data) && !QFileInfo(s.data).isDir())
        return s.data.isEmpty() ? tr("Choose the image folder to train on.")
                                : tr("The image folder %1 does not exist.").arg(s.data);
    if (!(s.learningRate > 0)) return tr("The learning rate must be a positive number, e.g. 2e-4.");
    if (s.processes > s.batch)
        return tr("A batch of %1 cannot be shared by %2 processes.").arg(s.batch).arg(s.processes);
    const QStringList rates = s.ema.split(QLatin1Char(','));
    for (const QString& rate : rates) {
        bool ok = false;
        const double value = rate.trimmed().toDouble(&ok);
        if (!ok || !(value > 0 && value < 1))
            return tr("EMA rates are numbers between 0 and 1, separated by commas (got '%1').").arg(s.ema);
    }
    if (s.resume && s.overwrite) return tr("Choose either resuming or overwriting the run, not both.");
    if (s.resume && !QFileInfo::exists(checkpointPath(s)))
        return tr("There is no checkpoint to resume from (%1).").arg(checkpointPath(s));
    if (!s.resume && !s.overwrite) {
        for (const QString& path : {s.output, checkpointPath(s), logPath(s)})
            if (QFileInfo::exists(path))
                return tr("A training run already exists (%1). Resume it, or choose to overwrite it.")
                    .arg(path);
    }
    return {};
}

QString TrainCommand::shellQuoted(const QString& program, const QStringList& arguments) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:=,+@%-]+$"));
    QStringList words;
    for (const QString& word : QStringList{program} + arguments)
        words << (plain.match(word).hasMatch()
                      ? word
                      : QLatin1Char('\'') +
                            QString(word).replace(QLatin1Char('\''), QStringLiteral("'\\''")) +
                            QLatin1Char('\''));
    return words.join(QLatin1Char(' '));
}

QStringList TrainCommand::splitArguments(const QString& text) {
    return QProcess::splitCommand(text);
}

// The inverse of QProcess::splitCommand (splitArguments): double quotes around a word that needs them,
// a literal quote written as three.
QString TrainCommand::joinArguments(const QStringList& arguments) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:=,+@%-]+$"));
    QStringList quoted;
    for (const QString& word : arguments)
        quoted << (plain.match(word).hasMatch()
                       ? word
                       : QLatin1Char('"') +
                             QString(word).replace(QLatin1Char('"'), QStringLiteral("\"\"\"")) +
                             QLatin1Char('"'));
    return quoted.join(QLatin1Char(' '));
}
