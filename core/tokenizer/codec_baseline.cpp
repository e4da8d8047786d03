#include "codec_baseline.h"

#include "core/error.h"
#include "core/image_util.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace cm {

const char* imageCodecName(ImageCodec codec) {
    return codec == ImageCodec::Jpeg ? "jpeg" : "webp";
}

ImageCodec imageCodecFromName(const std::string& name) {
    if (name == "jpeg") return ImageCodec::Jpeg;
    if (name == "webp") return ImageCodec::Webp;
    throw Error(ErrorKind::InvalidArgument, "unknown image codec '" + describeUntrusted(name) + "' (jpeg or webp)");
}

namespace {

// OpenCV's codecs take BGR.
cv::Mat toBytes(const cv::Mat& image) {
    cv::Mat bytes = toDisplay8U(image);
    if (bytes.channels() == 3) cv::cvtColor(bytes, bytes, cv::COLOR_RGB2BGR);
    return bytes;
}

cv::Mat fromBytes(const cv::Mat& bytes, int channels) {
    cv::Mat image = bytes;
    if (channels == 3) cv::cvtColor(bytes, image, cv::COLOR_BGR2RGB);
    return fromDisplay8U(image);
}

} // namespace

std::vector<CodecChoice> smallestRecognisableFiles(ImageCodec codec, const std::vector<cv::Mat>& images,
                                                   const FeatureNet& classifier) {
    if (classifier.card().kind != FeatureNetKind::Classifier)
        throw Error(ErrorKind::InvalidArgument, "recognisable is judged by a classifier; the evaluator is not one");
    std::vector<CodecChoice> choices;
    if (images.empty()) return choices;
    const int channels = images[0].channels();
    const auto originalClasses = classifier.run(images).prediction;
    const int flag = codec == ImageCodec::Jpeg ? cv::IMWRITE_JPEG_QUALITY : cv::IMWRITE_WEBP_QUALITY;
    const std::string extension = codec == ImageCodec::Jpeg ? ".jpg" : ".webp";
    const int readMode = channels == 3 ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const cv::Mat bytes = toBytes(images[i]);
        std::vector<CodecChoice> candidates;
        std::vector<cv::Mat> decoded;
        for (int quality = 1; quality <= 100; ++quality) {
            std::vector<uint8_t> file;
            if (!cv::imencode(extension, bytes, file, {flag, quality}))
                throw Error(ErrorKind::Io, std::string("OpenCV cannot encode ") + imageCodecName(codec));
            CodecChoice c;
            c.bytes = long(file.size());
            c.quality = quality;
            c.decoded = fromBytes(cv::imdecode(file, readMode), channels);
            decoded.push_back(c.decoded);
            candidates.push_back(c);
        }
        const auto classes = classifier.run(decoded).prediction;
        CodecChoice best = candidates.back();
        for (std::size_t q = 0; q < candidates.size(); ++q)
            if (classes[q] == originalClasses[i] && (!best.recognisable || candidates[q].bytes < best.bytes)) {
                best = candidates[q];
                best.recognisable = true;
            }
        choices.push_back(best);
    }
    return choices;
}

ReconstructionMethod codecMethod(ImageCodec codec, const FeatureNet& classifier, long* recognised) {
    ReconstructionMethod method;
    method.evaluations = 0;
    method.reconstruct = [codec, &classifier, recognised](const std::vector<cv::Mat>& originals, uint64_t,
                                                          std::vector<double>& bits) {
        std::vector<cv::Mat> out;
        for (const auto& choice : smallestRecognisableFiles(codec, originals, classifier)) {
            out.push_back(choice.decoded);
            bits.push_back(8.0 * double(choice.bytes));
            if (recognised && choice.recognisable) ++*recognised;
        }
        return out;
    };
    return method;
}

} // namespace cm
