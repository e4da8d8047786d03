#include "frechet.h"

#include "error.h"

#include <opencv2/core.hpp>

#include <cmath>

namespace cm {

FeatureStatistics featureStatistics(const std::vector<float>& features, long count, int dimension,
                                    const std::string& what) {
    if (dimension <= 0 || count < 2)
        throw Error(ErrorKind::Data, what + ": a Frechet distance needs at least 2 feature vectors, got " +
                                         std::to_string(count));
    if (features.size() != std::size_t(count) * std::size_t(dimension))
        throw Error(ErrorKind::InvalidArgument, what + ": " + std::to_string(features.size()) +
                                                    " values are not " + std::to_string(count) + " x " +
                                                    std::to_string(dimension));
    for (std::size_t i = 0; i < features.size(); ++i)
        if (!std::isfinite(features[i]))
            throw Error(ErrorKind::Numeric, what + ": feature vector " + std::to_string(i / dimension) +
                                                " is not finite");
    cv::Mat samples(int(count), dimension, CV_32F, const_cast<float*>(features.data()));
    cv::Mat samples64;
    samples.convertTo(samples64, CV_64F);
    cv::Mat covariance, mean;
    cv::calcCovarMatrix(samples64, covariance, mean, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE,
                        CV_64F);
    covariance *= double(count) / double(count - 1); // COVAR_SCALE divides by count
    FeatureStatistics stats;
    stats.dimension = dimension;
    stats.count = count;
    stats.mean.assign(mean.ptr<double>(), mean.ptr<double>() + dimension);
    stats.covariance.assign(covariance.ptr<double>(), covariance.ptr<double>() + dimension * dimension);
    return stats;
}

namespace {

// Symmetric positive semi-definite square root by eigen-decomposition (tiny negative eigenvalues from
// rounding are clamped to zero).
cv::Mat symmetricSqrt(const cv::Mat& symmetric) {
    cv::Mat values, vectors;
    cv::eigen(symmetric, values, vectors); // rows of `vectors` are eigenvectors
    cv::Mat roots = values.clone();
    for (int i = 0; i < roots.rows; ++i)
        roots.at<double>(i) = std::sqrt(std::max(0.0, roots.at<double>(i)));
    return vectors.t() * cv::Mat::diag(roots) * vectors;
}

} // namespace

double frechetDistance(const FeatureStatistics& a, const FeatureStatistics& b) {
    if (a.dimension != b.dimension || a.dimension <= 0)
        throw Error(ErrorKind::InvalidArgument, "Frechet distance between features of dimension " +
                                                    std::to_string(a.dimension) + " and " +
                                                    std::to_string(b.dimension));
    const int d = a.dimension;
    cv::Mat covA(d, d, CV_64F, const_cast<double*>(a.covariance.data()));
    cv::Mat covB(d, d, CV_64F, const_cast<double*>(b.covariance.data()));
    double meanTerm = 0;
    for (int i = 0; i < d; ++i)
        meanTerm += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]);
    // tr((S_a S_b)^(1/2)) = tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)); the inner matrix is symmetric, so a
    // symmetric eigen-solver suffices (no general matrix square root needed).
    const cv::Mat rootA = symmetricSqrt(covA);
    cv::Mat inner = rootA * covB * rootA;
    inner = 0.5 * (inner + inner.t());
    cv::Mat values;
    cv::eigen(inner, values);
    double traceRoot = 0;
    for (int i = 0; i < values.rows; ++i)
        traceRoot += std::sqrt(std::max(0.0, values.at<double>(i)));
    const double distance = meanTerm + cv::trace(covA)[0] + cv::trace(covB)[0] - 2.0 * traceRoot;
    return std::max(0.0, distance);
}

} // namespace cm
