#include "tokenizer_evaluation.h"

#include "core/error.h"
#include "core/frechet.h"
#include "detail/tokenizer_impl.h"

#include <chrono>
#include <cmath>

namespace cm {

double reconstructionMse(const cv::Mat& original, const cv::Mat& reconstruction) {
    return cv::norm(reconstruction, original, cv::NORM_L2SQR) / double(reconstruction.total() * reconstruction.channels());
}

double psnrFromMse(double mse) {
    return 10 * std::log10(1.0 / std::max(mse / 4.0, 1e-12)); // [-1, 1] -> [0, 1]: MSE / 4
}

ReconstructionResult measureReconstructions(const Tokenizer& tokenizer, const FeatureNet& evaluator,
                                            const Dataset& heldOut, const DecodeParams& params, int batch,
                                            const ProgressFn& progress, const CancelFlag* cancel) {
    const auto& config = tokenizer.card().config;
    if (heldOut.itemShape != config.itemShape() || evaluator.card().itemShape != config.itemShape())
        throw Error(ErrorKind::Shape, "the tokenizer, the evaluator and the held-out images must have one image shape");
    if (heldOut.count() < 2) throw Error(ErrorKind::Data, "a reconstruction FD needs at least 2 held-out images");
    if (batch < 1) throw Error(ErrorKind::InvalidArgument, "the batch must hold at least one image");
    const bool accuracy = heldOut.hasLabels() && evaluator.card().kind == FeatureNetKind::Classifier &&
                          evaluator.card().classNames.size() == heldOut.classNames.size();
    ReconstructionResult result;
    result.count = heldOut.count();
    result.codeBits = config.codeBits();
    result.bitsPerPixel = config.bitsPerPixel();
    result.evaluations = params.steps == 1 && tokenizer.card().hasOneStepDecoder()
                             ? 1
                             : flowEvaluations(detail::decodeTimes(tokenizer.card(), params),
                                               detail::decodeGuidance(tokenizer.card(), params));
    std::vector<float> features;
    long correct = 0;
    double psnrSum = 0, mseSum = 0;
    const int64_t size = heldOut.itemSize();
    for (int64_t start = 0; start < heldOut.count(); start += batch) {
        const int64_t n = std::min<int64_t>(batch, heldOut.count() - start);
        std::vector<cv::Mat> originals;
        for (int64_t i = start; i < start + n; ++i) {
            cv::Mat chw(int(config.channels), config.imageSize * config.imageSize, CV_32F,
                        const_cast<float*>(heldOut.values.data()) + i * size);
            cv::Mat hwc;
            cv::transpose(chw, hwc); // [H * W, C]
            originals.push_back(hwc.reshape(config.channels, config.imageSize).clone());
        }
        DecodeParams chunk = params;
        chunk.seed = params.seed + uint64_t(start);
        const auto began = std::chrono::steady_clock::now();
        const auto reconstructions = tokenizer.decode(tokenizer.encode(originals), chunk, {}, cancel);
        result.decodeSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        for (int64_t j = 0; j < n; ++j) {
            const double mse = reconstructionMse(originals[j], reconstructions[j]);
            mseSum += mse;
            psnrSum += psnrFromMse(mse);
        }
        const auto out = evaluator.run(reconstructions, {}, cancel);
        features.insert(features.end(), out.features.begin(), out.features.end());
        if (accuracy)
            for (int64_t j = 0; j < n; ++j)
                correct += out.prediction[j] == heldOut.labels[start + j] ? 1 : 0;
        if (progress) progress(start + n, heldOut.count());
    }
    const auto reference = evaluator.run(heldOut, {}, cancel);
    result.fd = frechetDistance(
        featureStatistics(features, result.count, evaluator.card().featureDim, "features of the reconstructions"),
        featureStatistics(reference.features, reference.count, evaluator.card().featureDim,
                          "features of " + heldOut.description));
    result.psnr = psnrSum / double(result.count);
    result.mse = mseSum / double(result.count);
    if (accuracy) result.classAccuracy = double(correct) / double(result.count);
    return result;
}

} // namespace cm
