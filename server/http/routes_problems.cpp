// GET /problems and /problems/{name}: what each problem type the server answers with means, so
// that a problem's "type" can be followed to an explanation.
#include "geo/error.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"

namespace gridmap::http {

void register_problem_routes(Server& server) {
    server.get("/problems", R"(/problems)", Role::anonymous, [](RequestContext& ctx) {
        ctx.res.set_content(json_text({{"problems", problem_types_json()}}), "application/json");
    });
    server.get("/problems/{name}", R"(/problems/([^/]+))", Role::anonymous, [](RequestContext& ctx) {
        const std::string type = std::string(k_problem_types_path) + "/" + std::string(ctx.req.matches[1]);
        for (const auto& t : problem_types_json()) {
            if (t["type"] == type) {
                ctx.res.set_content(json_text(t), "application/json");
                return;
            }
        }
        throw geo::Error(geo::Errc::not_found, "no problem type named " + std::string(ctx.req.matches[1]) + " (GET /problems lists them)");
    });
}

}  // namespace gridmap::http
