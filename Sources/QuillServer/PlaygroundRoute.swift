// GET /: the web playground, one self-contained HTML page (see PlaygroundPage.swift).
import Hummingbird
import NIOCore

struct PlaygroundRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: PlaygroundPage.html(model: routes.served.id))))
        }
    }
}
