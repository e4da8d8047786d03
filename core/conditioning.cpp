#include "conditioning.h"

#include "error.h"

#include <cmath>
#include <string>

namespace cm {

namespace {

template <typename T> std::vector<T> sliceList(const std::vector<T>& list, int start, int n) {
    if (list.size() <= 1) return list;
    return std::vector<T>(list.begin() + start, list.begin() + start + n);
}

void requireCount(std::size_t size, int count, const char* what) {
    if (size > 1 && size != std::size_t(count))
        throw Error(ErrorKind::InvalidArgument, std::string("give one ") + what + " or one per image (" +
                                                    std::to_string(count) + "), got " + std::to_string(size));
}

} // namespace

Conditioning Conditioning::slice(int start, int n) const {
    Conditioning part;
    part.classLabels = sliceList(classLabels, start, n);
    part.blendClasses = sliceList(blendClasses, start, n);
    part.blendWeights = sliceList(blendWeights, start, n);
    part.tokenCodes = sliceList(tokenCodes, start, n);
    part.promptTokens = sliceList(promptTokens, start, n);
    part.referenceImages = sliceList(referenceImages, start, n);
    part.referenceUse = referenceUse;
    return part;
}

int Conditioning::sharedClass() const {
    if (classLabels.empty() || hasBlend()) return kNoClass;
    for (int label : classLabels)
        if (label != classLabels.front()) return kNoClass;
    return classLabels.front();
}

void validateConditioning(const Conditioning& conditioning, int count) {
    requireCount(conditioning.classLabels.size(), count, "class label");
    requireCount(conditioning.blendClasses.size(), count, "blend class");
    requireCount(conditioning.tokenCodes.size(), count, "token code");
    requireCount(conditioning.promptTokens.size(), count, "prompt");
    requireCount(conditioning.referenceImages.size(), count, "reference image");
    if (conditioning.blendClasses.size() != conditioning.blendWeights.size())
        throw Error(ErrorKind::InvalidArgument, "a class blend needs one weight per blend class (got " +
                                                    std::to_string(conditioning.blendWeights.size()) + " for " +
                                                    std::to_string(conditioning.blendClasses.size()) + ")");
    for (double w : conditioning.blendWeights)
        if (!(w >= 0 && w <= 1))
            throw Error(ErrorKind::InvalidArgument,
                        "a class blend weight must be in [0, 1], got " + std::to_string(w));
}

} // namespace cm
