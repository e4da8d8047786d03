#include "engine.h"

#include "engine_worker.h"

#include "core/runtime.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

constexpr int kWorkerNice = 5;

// Queued signals copy their arguments through the meta-type system.
void registerTypes() {
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<ImportReport>();
    qRegisterMetaType<JobResult>();
    qRegisterMetaType<JobKind>();
    qRegisterMetaType<TokenizerInfo>();
    qRegisterMetaType<StyleModelInfo>();
}

} // namespace

Engine::Engine(QObject* parent) : QObject(parent) {
    registerTypes();
    m_worker = new EngineWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);

    connect(m_worker, &EngineWorker::modelLoaded, this, [this](int job, const ModelInfo& info) {
        m_model = info;
        endJob(job);
        emit modelLoaded(info);
    });
    connect(m_worker, &EngineWorker::tokenizerLoaded, this, [this](int job, const TokenizerInfo& info) {
        m_tokenizer = info;
        endJob(job);
        emit tokenizerLoaded(job, info);
    });
    connect(m_worker, &EngineWorker::styleModelLoaded, this, [this](int job, const StyleModelInfo& info) {
        m_styleModel = info;
        endJob(job);
        emit styleModelLoaded(job, info);
    });
    connect(m_worker, &EngineWorker::importInspected, this, [this](int job, const ImportReport& report) {
        endJob(job);
        emit importInspected(job, report);
    });
    connect(m_worker, &EngineWorker::progress, this, [this](int job, long done, long total) {
        if (m_pending.count(job)) emit progress(job, done, total);
    });
    connect(m_worker, &EngineWorker::finished, this, [this](const JobResult& result) {
        endJob(result.job);
        emit finished(result);
    });
    connect(m_worker, &EngineWorker::failed, this, [this](int job, JobKind kind, const QString& message) {
        endJob(job);
        emit failed(job, kind, message);
    });
    connect(m_worker, &EngineWorker::cancelled, this, [this](int job, JobKind kind) {
        endJob(job);
        emit cancelled(job, kind);
    });
    m_thread.setObjectName("cmstudio-engine");
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, [] {
        // Linux nice values are per thread and inherited by the threads this one creates (torch's
        // OpenMP pool): the engine yields the CPU to the GUI thread whenever it has an event to handle,
        // and uses every core otherwise.
        setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), kWorkerNice);
        cm::setThreadCount(0);
    });
}

Engine::~Engine() {
    cancelAll();
    m_thread.quit();
    m_thread.wait();
}

Engine::CancelPtr Engine::startJob(bool live) {
    if (live) {
        // A newer preview makes the older ones worthless: stop them rather than queue behind them.
        for (const auto& [job, isLive] : m_liveJobs)
            if (isLive) *m_pending[job] = true;
    }
    const bool wasBusy = busy();
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_pending[m_nextJob] = cancel;
    m_liveJobs[m_nextJob] = live;
    if (!wasBusy) emit busyChanged(true);
    return cancel;
}

void Engine::endJob(int job) {
    m_pending.erase(job);
    m_liveJobs.erase(job);
    m_sideModelJobs.erase(job);
    if (m_pending.empty()) emit busyChanged(false);
}

int Engine::loadModel(const QString& path, const cm::ImportOptions& options) {
    startJob(false);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker, [w = m_worker, job, path, options] { w->loadModel(job, path, options); });
    return job;
}

int Engine::inspectImport(const QString& path, const cm::ImportOptions& options) {
    startJob(false);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker,
                              [w = m_worker, job, path, options] { w->inspectImport(job, path, options); });
    return job;
}

void Engine::forgetImport() {
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->forgetImport(); });
}

int Engine::generate(const cm::SampleParams& params) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker, [w = m_worker, job, params, cancel] { w->generate(job, params, *cancel); });
    return job;
}

int Engine::chain(const cm::SampleParams& params) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker, [w = m_worker, job, params, cancel] { w->chain(job, params, *cancel); });
    return job;
}

int Engine::edit(const cm::EditParams& params, bool live) {
    const CancelPtr cancel = startJob(live);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker,
                              [w = m_worker, job, params, live, cancel] { w->edit(job, params, live, *cancel); });
    return job;
}

int Engine::denoise(const QVector<QImage>& images, double sigma, double addNoiseSigma, quint64 seed,
                    const cm::Conditioning& conditioning) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker, [=, w = m_worker] {
        w->denoise(job, images, sigma, addNoiseSigma, seed, conditioning, *cancel);
    });
    return job;
}

int Engine::interpolate(const cm::InterpolationParams& params) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    QMetaObject::invokeMethod(m_worker,
                              [w = m_worker, job, params, cancel] { w->interpolate(job, params, *cancel); });
    return job;
}

int Engine::loadTokenizer(const QString& path, const QString& autoencoder, const QString& codeGenerator) {
    startJob(false);
    const int job = m_nextJob++;
    m_sideModelJobs.insert(job);
    QMetaObject::invokeMethod(m_worker, [w = m_worker, job, path, autoencoder, codeGenerator] {
        w->loadTokenizer(job, path, autoencoder, codeGenerator);
    });
    return job;
}

int Engine::compress(const CompressRequest& request) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    m_sideModelJobs.insert(job);
    QMetaObject::invokeMethod(m_worker,
                              [w = m_worker, job, request, cancel] { w->compress(job, request, *cancel); });
    return job;
}

int Engine::generateCodes(const GenerateCodesRequest& request) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    m_sideModelJobs.insert(job);
    QMetaObject::invokeMethod(m_worker,
                              [w = m_worker, job, request, cancel] { w->generateCodes(job, request, *cancel); });
    return job;
}

int Engine::loadStyleModel(const QString& path) {
    startJob(false);
    const int job = m_nextJob++;
    m_sideModelJobs.insert(job);
    QMetaObject::invokeMethod(m_worker, [w = m_worker, job, path] { w->loadStyleModel(job, path); });
    return job;
}

int Engine::stylize(const StyleRequest& request) {
    const CancelPtr cancel = startJob(false);
    const int job = m_nextJob++;
    m_sideModelJobs.insert(job);
    QMetaObject::invokeMethod(m_worker, [w = m_worker, job, request, cancel] { w->stylize(job, request, *cancel); });
    return job;
}

void Engine::cancelAll() {
    for (auto& [job, flag] : m_pending) *flag = true;
}
