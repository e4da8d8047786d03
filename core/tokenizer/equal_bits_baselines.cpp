#include "equal_bits_baselines.h"

#include "core/error.h"
#include "core/tokenizer/codec_baseline.h"
#include "core/tokenizer/tokenizer_evaluation.h"

#include <chrono>

namespace cm {
namespace {

void stopIfCancelled(const CancelFlag* cancel) {
    if (cancel && cancel->load()) throw Error(ErrorKind::Cancelled, "cancelled by the user");
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

BaselineReconstruction runMethod(BaselineReconstruction::Kind kind, const ReconstructionMethod& method,
                                 const cv::Mat& original) {
    BaselineReconstruction out;
    out.kind = kind;
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> bits;
    out.image = method.reconstruct({original}, 0, bits).front();
    out.seconds = secondsSince(start);
    out.bits = bits.empty() ? method.bits : bits.front();
    out.evaluations = method.evaluations;
    out.psnr = psnrFromMse(reconstructionMse(original, out.image));
    return out;
}

} // namespace

std::vector<BaselineReconstruction> reconstructWithBaselines(const cv::Mat& original, const EqualBitsBaselines& baselines,
                                                             const CancelFlag* cancel) {
    std::vector<BaselineReconstruction> out;
    if (baselines.autoencoder) {
        const TokenizerConfig& config = baselines.autoencoder->card().config;
        if (original.rows != config.imageSize || original.cols != config.imageSize || original.channels() != config.channels)
            throw Error(ErrorKind::Shape, "the image is not the autoencoder's shape");
        stopIfCancelled(cancel);
        // Deterministic: one evaluation whatever the seed.
        out.push_back(runMethod(BaselineReconstruction::Autoencoder, tokenizerMethod(*baselines.autoencoder, {}, cancel),
                                original));
    }
    if (baselines.patchVq) {
        const PatchVqConfig& config = baselines.patchVq->config();
        if (original.rows != config.imageSize || original.cols != config.imageSize || original.channels() != config.channels)
            throw Error(ErrorKind::Shape, "the image is not the k-means codebook's shape");
        stopIfCancelled(cancel);
        out.push_back(runMethod(BaselineReconstruction::PatchVq, patchVqMethod(*baselines.patchVq), original));
    }
    if (baselines.classifier) {
        for (const ImageCodec codec : {ImageCodec::Jpeg, ImageCodec::Webp}) {
            stopIfCancelled(cancel);
            const auto start = std::chrono::steady_clock::now();
            const CodecChoice choice = smallestRecognisableFiles(codec, {original}, *baselines.classifier).front();
            BaselineReconstruction r;
            r.kind = codec == ImageCodec::Jpeg ? BaselineReconstruction::Jpeg : BaselineReconstruction::Webp;
            r.seconds = secondsSince(start);
            r.image = choice.decoded;
            r.bytes = choice.bytes;
            r.bits = 8.0 * double(choice.bytes);
            r.quality = choice.quality;
            r.recognisable = choice.recognisable;
            r.psnr = psnrFromMse(reconstructionMse(original, r.image));
            out.push_back(r);
        }
    }
    return out;
}

} // namespace cm
