#include "tokenizer_evaluation.h"

#include "core/error.h"
#include "core/frechet.h"

#include <chrono>
#include <cmath>

namespace cm {

double reconstructionMse(const cv::Mat& original, const cv::Mat& reconstruction) {
    return cv::norm(reconstruction, original, cv::NORM_L2SQR) / double(reconstruction.total() * reconstruction.channels());
}

double psnrFromMse(double mse) {
    return 10 * std::log10(1.0 / std::max(mse / 4.0, 1e-12)); // [-1, 1] -> [0, 1]: MSE / 4
}

std::vector<cv::Mat> datasetImages(const Dataset& data, int64_t first, int64_t count) {
    if (data.itemShape.size() != 3) throw Error(ErrorKind::Shape, "the data set does not hold images");
    const int channels = int(data.itemShape[0]), rows = int(data.itemShape[1]), cols = int(data.itemShape[2]);
    if (first < 0 || count < 0 || first + count > data.count())
        throw Error(ErrorKind::InvalidArgument, "images outside the data set requested");
    std::vector<cv::Mat> images;
    const int64_t size = data.itemSize();
    for (int64_t i = first; i < first + count; ++i) {
        cv::Mat chw(channels, rows * cols, CV_32F, const_cast<float*>(data.values.data()) + i * size);
        cv::Mat hwc;
        cv::transpose(chw, hwc); // [H * W, C]
        images.push_back(hwc.reshape(channels, rows).clone());
    }
    return images;
}

ReconstructionResult measureReconstructions(const ReconstructionMethod& method, const FeatureNet& evaluator,
                                            const Dataset& heldOut, uint64_t seed, int batch,
                                            const ProgressFn& progress, const CancelFlag* cancel) {
    if (heldOut.itemShape != evaluator.card().itemShape)
        throw Error(ErrorKind::Shape, "the evaluator and the held-out images must have one image shape");
    if (heldOut.count() < 2) throw Error(ErrorKind::Data, "a reconstruction FD needs at least 2 held-out images");
    if (batch < 1) throw Error(ErrorKind::InvalidArgument, "the batch must hold at least one image");
    const bool accuracy = heldOut.hasLabels() && evaluator.card().kind == FeatureNetKind::Classifier &&
                          evaluator.card().classNames.size() == heldOut.classNames.size();
    const double pixels = double(heldOut.itemShape[1] * heldOut.itemShape[2]);
    ReconstructionResult result;
    result.count = heldOut.count();
    result.evaluations = method.evaluations;
    std::vector<float> features;
    long correct = 0;
    double psnrSum = 0, mseSum = 0, bitsSum = 0;
    for (int64_t start = 0; start < heldOut.count(); start += batch) {
        const int64_t n = std::min<int64_t>(batch, heldOut.count() - start);
        const auto originals = datasetImages(heldOut, start, n);
        std::vector<double> bits;
        const auto began = std::chrono::steady_clock::now();
        const auto reconstructions = method.reconstruct(originals, seed + uint64_t(start), bits);
        result.decodeSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        if (reconstructions.size() != originals.size() || (!bits.empty() && bits.size() != originals.size()))
            throw Error(ErrorKind::InvalidArgument, "a reconstruction method returned the wrong number of images");
        for (int64_t j = 0; j < n; ++j) {
            const double mse = reconstructionMse(originals[j], reconstructions[j]);
            mseSum += mse;
            psnrSum += psnrFromMse(mse);
            bitsSum += bits.empty() ? method.bits : bits[j];
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
    result.codeBits = bitsSum / double(result.count);
    result.bitsPerPixel = result.codeBits / pixels;
    if (accuracy) result.classAccuracy = double(correct) / double(result.count);
    return result;
}

ReconstructionMethod tokenizerMethod(const Tokenizer& tokenizer, const DecodeParams& params, const CancelFlag* cancel) {
    ReconstructionMethod method;
    method.bits = tokenizer.card().config.codeBits();
    method.evaluations = tokenizer.decodeEvaluations(params);
    method.reconstruct = [tokenizer, params, cancel](const std::vector<cv::Mat>& originals, uint64_t seed,
                                                     std::vector<double>&) {
        DecodeParams chunk = params;
        chunk.seed = seed;
        return tokenizer.decode(tokenizer.encode(originals), chunk, {}, cancel);
    };
    return method;
}

ReconstructionResult measureReconstructions(const Tokenizer& tokenizer, const FeatureNet& evaluator,
                                            const Dataset& heldOut, const DecodeParams& params, int batch,
                                            const ProgressFn& progress, const CancelFlag* cancel) {
    if (heldOut.itemShape != tokenizer.card().config.itemShape())
        throw Error(ErrorKind::Shape, "the tokenizer, the evaluator and the held-out images must have one image shape");
    return measureReconstructions(tokenizerMethod(tokenizer, params, cancel), evaluator, heldOut, params.seed, batch,
                                  progress, cancel);
}

} // namespace cm
