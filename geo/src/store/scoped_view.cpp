// A Store seen through a caller's scope: the HTTP routes get only this, so none can read
// without the caller's scope.
#include "geo/store/store.hpp"

namespace geo::store {

namespace {

class ScopedView final : public Store {
public:
    ScopedView(Store& base, access::Scope scope) : m_base(base), m_scope(std::move(scope)) {}

    std::vector<LayerInfo> layers() override { return m_base.layers(); }
    std::optional<LayerInfo> layer(std::string_view name) override { return m_base.layer(name); }
    std::map<std::string, std::int64_t> layer_versions() override { return m_base.layer_versions(); }
    std::unique_ptr<LayerWriter> write_layer(const NewLayer& layer, WriteMode mode) override {
        return m_base.write_layer(layer, mode);
    }
    void read_features(std::string_view layer, const FeatureQuery& query,
                       const std::function<bool(const Feature&)>& visit) override {
        m_base.read_features(layer, in_scope(query), visit);
    }
    std::int64_t count_features(std::string_view layer, const FeatureQuery& query) override {
        return m_base.count_features(layer, in_scope(query));
    }
    void drop_layer(std::string_view layer) override { m_base.drop_layer(layer); }
    std::vector<std::string> check() override { return m_base.check(); }
    std::int64_t add_token(const access::TokenRecord& token) override { return m_base.add_token(token); }
    std::vector<access::TokenRecord> tokens() override { return m_base.tokens(); }
    bool revoke_token(std::int64_t id) override { return m_base.revoke_token(id); }
    std::int64_t tokens_version() override { return m_base.tokens_version(); }
    void append_audit(const access::AuditEntry& entry) override { m_base.append_audit(entry); }
    std::vector<access::AuditEntry> audit(std::string_view since, std::int64_t limit) override {
        return m_base.audit(since, limit);
    }
    void save_job(const JobRecord& job) override { m_base.save_job(job); }
    std::optional<JobRecord> job(std::string_view id) override { return m_base.job(id); }
    std::int64_t fail_unfinished_jobs(std::string_view detail) override { return m_base.fail_unfinished_jobs(detail); }

private:
    // The view's scope replaces the query's: a caller's view is never widened by its query.
    FeatureQuery in_scope(const FeatureQuery& query) const {
        if (m_scope.unrestricted) return query;
        FeatureQuery q = query;
        q.scope = m_scope;
        return q;
    }

    Store& m_base;
    access::Scope m_scope;
};

}  // namespace

std::unique_ptr<Store> scoped_view(Store& base, access::Scope scope) {
    return std::make_unique<ScopedView>(base, std::move(scope));
}

}  // namespace geo::store
