// GET /metrics: Prometheus text (see ServerMetrics), with the scheduler's queue and slots read now.
import Hummingbird
import NIOCore

struct MetricsRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            let text = routes.metrics.render(scheduler: routes.served.scheduler.currentStatus)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
