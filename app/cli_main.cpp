// cmstudio-cli: the command-line front end of the CM Studio engine.
#include "cli_commands.h"
#include "core/error.h"
#include "core/precision.h"
#include "openmp_policy.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>
#include <exception>

namespace {

const char* kUsage = "usage: cmstudio-cli <command> [options]\n"
                     "\n"
                     "commands:\n"
                     "  train    train an EDM denoiser or a consistency model (edm, cd, ct, ict, ect)\n"
                     "  sample   generate images from a model into a PNG grid\n"
                     "  info     print a model file's card (CM Studio, .pt or diffusers folder)\n"
                     "  forward  one evaluation of a model on a .npy batch (compare with Python code)\n"
                     "  convert  turn a published .pt checkpoint or diffusers folder into a CM Studio model\n"
                     "  eval     measure a model: FD, class accuracy, speed (or the FD floor, or a sigma search)\n"
                     "  train-evaluator  train the evaluator's classifier or autoencoder\n"
                     "  edit     inpaint, colorize, superres, stroke or denoise an image (zero-shot)\n"
                     "  interpolate  frames between the samples of two seeds\n"
                     "  annotate set a model file's data-set description or notes (e.g. the data licence)\n"
                     "  style-data  a grid of DEADiff's style world (styled garments, or pairs with --pairs)\n"
                     "  train-style  train DEADiff's style model: its feature network, prompt base, extractors\n"
                     "  stylize  the prompted garment in the style of a reference image (a style model)\n"
                     "  eval-style  measure a style model: style similarity, prompt alignment, leakage, FD, time\n"
                     "  train-tokenizer  train a FlowMo tokenizer (images <-> bit codes): stage 1a, 1b, one-step\n"
                     "           or the deterministic-autoencoder baseline\n"
                     "  tokenize encode an image into its bit code, decode a code into an image, eval (tokenizers\n"
                     "           and baselines), or generate images from stage-2 codes\n"
                     "  train-code-generator  train FlowMo's stage 2 (a class-conditional model of the code bits)\n"
                     "\n"
                     "every command: --precision auto|fp32|bf16  the networks' compute precision (default auto:\n"
                     "  bfloat16 where the CPU has AVX-512 BF16 or AMX, else float32; also CMSTUDIO_PRECISION)\n"
                     "\n"
                     "'cmstudio-cli <command> --help' lists a command's options.\n";

// Takes "--precision X" / "--precision=X" out of the command's arguments and applies it; a request the
// CPU cannot honour computes in float32 and says so here, once.
void applyPrecisionOption(QStringList& arguments) {
    for (int i = 0; i < arguments.size(); ++i) {
        QString value;
        if (arguments[i] == "--precision") {
            if (i + 1 >= arguments.size()) throw UsageError{"--precision needs a value (auto, fp32 or bf16)"};
            value = arguments[i + 1];
            arguments.remove(i, 2);
        } else if (arguments[i].startsWith("--precision=")) {
            value = arguments[i].mid(int(sizeof("--precision=")) - 1);
            arguments.remove(i);
        } else {
            continue;
        }
        try {
            cm::setPrecision(cm::parsePrecision(value.toStdString()));
        } catch (const cm::Error& e) {
            throw UsageError{QString::fromStdString(e.what())};
        }
        --i;
    }
    if (const std::string note = cm::precisionNote(); !note.empty())
        std::fprintf(stderr, "cmstudio-cli: %s\n", note.c_str());
}

void onInterrupt(int) {
    g_interrupted.store(true);
}

} // namespace

int main(int argc, char** argv) {
    restartWithPassiveOpenMpWaitPolicy(argv);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("cmstudio-cli");
    QStringList arguments = QCoreApplication::arguments().mid(1);
    if (arguments.isEmpty()) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    if (arguments.front() == "--help" || arguments.front() == "-h" || arguments.front() == "help") {
        std::printf("%s", kUsage);
        return 0;
    }
    const QString command = arguments.takeFirst();
    std::signal(SIGINT, onInterrupt);
    // A file-size limit (ulimit -f) must fail a write like a full disk (EFBIG, a one-line I/O error and the
    // last checkpoint kept), not kill the process without a word.
    std::signal(SIGXFSZ, SIG_IGN);
    try {
        applyPrecisionOption(arguments);
        if (command == "train") return runTrain(arguments);
        if (command == "sample") return runSample(arguments);
        if (command == "info") return runInfo(arguments);
        if (command == "eval") return runEval(arguments);
        if (command == "train-evaluator") return runTrainEvaluator(arguments);
        if (command == "edit") return runEdit(arguments);
        if (command == "interpolate") return runInterpolate(arguments);
        if (command == "annotate") return runAnnotate(arguments);
        if (command == "forward") return runForward(arguments);
        if (command == "convert") return runConvert(arguments);
        if (command == "style-data") return runStyleData(arguments);
        if (command == "train-style") return runTrainStyle(arguments);
        if (command == "eval-style") return runEvalStyle(arguments);
        if (command == "stylize") return runStylize(arguments);
        if (command == "train-tokenizer") return runTrainTokenizer(arguments);
        if (command == "tokenize") return runTokenize(arguments);
        if (command == "train-code-generator") return runTrainCodeGenerator(arguments);
        std::fprintf(stderr,
                     "cmstudio-cli: unknown command '%s' (commands: train, sample, info, forward, convert, eval, train-evaluator, edit, interpolate, annotate, style-data, train-style, stylize, eval-style, train-tokenizer, tokenize, train-code-generator; see --help)\n",
                     qPrintable(command));
        return 2;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "cmstudio-cli %s: %s\n", qPrintable(command), qPrintable(e.message));
        return 2;
    } catch (const cm::Error& e) {
        if (e.kind() == cm::ErrorKind::Cancelled) {
            std::fprintf(stderr, "cmstudio-cli %s: interrupted\n", qPrintable(command));
            return 130;
        }
        std::fprintf(stderr, "cmstudio-cli %s: %s: %s\n", qPrintable(command), cm::errorKindName(e.kind()),
                     e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cmstudio-cli %s: unexpected error: %s\n", qPrintable(command), e.what());
        return 1;
    }
}
