#include "preview.h"

#include "core/image_util.h"
#include "core/sampler.h"

namespace cm::training {

void writePreviewGrid(const Model& model, const std::string& path, uint64_t seed) {
    SampleParams params;
    params.count = kPreviewImages;
    params.seed = seed;
    if (const int classes = model.card().network.numClasses; classes > 0) {
        std::vector<int> labels;
        for (int j = 0; j < kPreviewImages; ++j)
            labels.push_back(j % classes);
        params.conditioning = Conditioning::perImage(labels);
    }
    const SampleResult result = sample(model, params);
    std::vector<cv::Mat> images;
    for (const auto& image : result.images)
        images.push_back(toDisplay8U(image));
    writeImageAtomically(path, makeGrid(images, kPreviewColumns, kPreviewPadding));
}

} // namespace cm::training
