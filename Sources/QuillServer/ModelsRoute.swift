// GET /v1/models, GET /v1/models/{id} (OpenAI's `model` objects for the language model and the
// embedding model) and GET /health (llama-server's `{"status": "ok"}`, open without a key).
import Hummingbird

struct ModelObject: Encodable, Sendable {
    var id: String
    var object = "model"
    var created: Int
    var ownedBy = "quill"
    enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
}

struct ModelList: Encodable, Sendable {
    var object = "list"
    var data: [ModelObject]
}

struct HealthStatus: Encodable, Sendable {
    var status = "ok"
    var slotsIdle: Int
    var slotsProcessing: Int
    var queued: Int
    enum CodingKeys: String, CodingKey { case status, queued, slotsIdle = "slots_idle", slotsProcessing = "slots_processing" }
}

struct ModelsRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    var models: [ModelObject] {
        [ModelObject(id: routes.served.id, created: routes.served.created)]
            + (routes.embeddings.map { [ModelObject(id: $0.id, created: $0.created)] } ?? [])
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/models") { _, _ in try JSONBody.response(ModelList(data: models)) }
        router.get("/v1/models/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let model = models.first(where: { $0.id == id }) ?? (routes.served.aliases.contains(id) ? models.first : nil) else {
                throw OpenAIError.modelNotFound(id, served: models.map(\.id))
            }
            return try JSONBody.response(model)
        }
        router.get("/health") { _, _ in
            let s = routes.served.scheduler.currentStatus
            return try JSONBody.response(HealthStatus(slotsIdle: s.slots - s.active, slotsProcessing: s.active, queued: s.queued))
        }
    }
}
