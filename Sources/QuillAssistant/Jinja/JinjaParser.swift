// Recursive-descent parser from tokens to `JinjaNode`s, with jinja2's statement set as chat templates
// use it and jinja2's expression precedence (parser.py: condexpr > or > and > not > compare > + - > ~ >
// * / // % > ** > unary > postfix and filters). Nesting is bounded so hostile templates cannot exhaust the stack.

struct JinjaParser {
    let tokens: [JinjaToken]
    var index = 0
    var depth = 0

    /// Bounds on nesting: brackets / unary chains while parsing, and expression height overall.
    static let maxNesting = 40
    static let maxHeight = 160

    init(tokens: [JinjaToken]) { self.tokens = tokens }

    static func parse(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (nodes, end) = try parser.parseBody(until: [])
        if let end { throw JinjaError.syntax("unexpected '{% \(end.name) %}'", at: end.location) }
        return nodes
    }

    // MARK: Token helpers

    var current: JinjaToken { tokens[min(index, tokens.count - 1)] }
    var location: JinjaSourceLocation { index < tokens.count ? tokens[index].location : (tokens.last?.location ?? .init(line: 1, column: 1)) }
    var atEnd: Bool { index >= tokens.count }

    mutating func advance() { index += 1 }

    func isOp(_ op: String) -> Bool { !atEnd && current.kind == .op(op) }
    func isName(_ name: String) -> Bool { !atEnd && current.kind == .name(name) }

    mutating func skipOp(_ op: String) -> Bool { if isOp(op) { advance(); return true }; return false }
    mutating func skipName(_ name: String) -> Bool { if isName(name) { advance(); return true }; return false }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw JinjaError.syntax("expected '\(op)', found \(describe())", at: location) }
    }

    mutating func expectName() throws -> String {
        guard !atEnd, case .name(let n) = current.kind else {
            throw JinjaError.syntax("expected a name, found \(describe())", at: location)
        }
        advance()
        return n
    }

    mutating func expectBlockEnd() throws {
        guard !atEnd, current.kind == .blockEnd else {
            throw JinjaError.syntax("expected end of tag '%}', found \(describe())", at: location)
        }
        advance()
    }

    func describe() -> String {
        guard !atEnd else { return "end of template" }
        switch current.kind {
        case .text: return "text"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s.prefix(20))'"
        case .integer(let i): return "\(i)"
        case .float(let d): return "\(d)"
        case .op(let o): return "'\(o)'"
        case .end: return "end of template"
        }
    }

    mutating func enter() throws {
        depth += 1
        if depth > Self.maxNesting {
            throw JinjaError.limitExceeded("nesting deeper than \(Self.maxNesting) levels", at: location)
        }
    }

    func make(_ kind: JinjaExpr.Kind, _ loc: JinjaSourceLocation, _ children: [JinjaExpr], extra: Int = 0) throws -> JinjaExpr {
        let height = 1 + max(extra, children.map(\.height).max() ?? 0)
        guard height <= Self.maxHeight else {
            throw JinjaError.limitExceeded("expression more than \(Self.maxHeight) operations deep", at: loc)
        }
        return JinjaExpr(kind: kind, location: loc, height: height)
    }

    // MARK: Statements

    /// Parses nodes until a block tag named in `until` (returned with its location, the name consumed).
    mutating func parseBody(until: Set<String>) throws -> ([JinjaNode], (name: String, location: JinjaSourceLocation)?) {
        var nodes: [JinjaNode] = []
        while !atEnd {
            let token = current
            switch token.kind {
            case .text(let t): advance(); nodes.append(.text(t))
            case .variableBegin:
                advance()
                let e = try parseExpression()
                guard !atEnd, current.kind == .variableEnd else {
                    throw JinjaError.syntax("expected end of print statement '}}', found \(describe())", at: location)
                }
                advance()
                nodes.append(.output(e))
            case .blockBegin:
                advance()
                let loc = location
                let name = try expectName()
                if until.contains(name) { return (nodes, (name, loc)) }
                nodes.append(try parseStatement(name, at: loc))
            default:
                throw JinjaError.syntax("unexpected \(describe())", at: location)
            }
        }
        if !until.isEmpty {
            let names = until.sorted().map { "{% \($0) %}" }.joined(separator: " or ")
            throw JinjaError.syntax("unexpected end of template, expected \(names)", at: location)
        }
        return (nodes, nil)
    }

    mutating func parseStatement(_ name: String, at loc: JinjaSourceLocation) throws -> JinjaNode {
        try enter(); defer { depth -= 1 }
        switch name {
        case "if": return try parseIf()
        case "for": return try parseFor(at: loc)
        case "set": return try parseSet(at: loc)
        case "macro": return try parseMacro()
        case "filter":
            let filters = try parseFilterChain(first: true)
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: body)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        case "break": try expectBlockEnd(); return .breakLoop(loc)
        case "continue": try expectBlockEnd(); return .continueLoop(loc)
        case "include", "extends", "block", "import", "from", "call", "with", "autoescape", "do", "trans", "raw":
            throw JinjaError.unsupported(construct: "{% \(name) %}", at: loc)
        default:
            throw JinjaError.syntax("unknown tag '\(name)'", at: loc)
        }
    }

    mutating func parseIf() throws -> JinjaNode {
        var branches: [(condition: JinjaExpr, body: [JinjaNode])] = []
        var condition = try parseExpression()
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end!.name {
            case "elif": condition = try parseExpression()
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .ifChain(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .ifChain(branches: branches, otherwise: [])
            }
        }
    }

    mutating func parseFor(at loc: JinjaSourceLocation) throws -> JinjaNode {
        let target = try parseTarget(allowAttribute: false)
        guard skipName("in") else { throw JinjaError.syntax("expected 'in' in for loop, found \(describe())", at: location) }
        let iterable = try parseConditional(allowCondition: false)
        var filter: JinjaExpr? = nil
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") { throw JinjaError.unsupported(construct: "recursive for loops", at: location) }
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["else", "endfor"])
        var otherwise: [JinjaNode] = []
        if end!.name == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(JinjaFor(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, location: loc))
    }

    mutating func parseTarget(allowAttribute: Bool) throws -> JinjaTarget {
        let first = try expectName()
        if allowAttribute, skipOp(".") { return .attribute(first, try expectName()) }
        guard isOp(",") else { return .name(first) }
        var names = [first]
        while skipOp(",") { if isName("in") || isOp("=") { break }; names.append(try expectName()) }
        return .tuple(names)
    }

    mutating func parseSet(at loc: JinjaSourceLocation) throws -> JinjaNode {
        let target = try parseTarget(allowAttribute: true)
        if skipOp("=") {
            var value = try parseExpression()
            if isOp(",") {   // `set a, b = 1, 2`
                var items = [value]
                while skipOp(",") { items.append(try parseExpression()) }
                value = try make(.tuple(items), value.location, items)
            }
            try expectBlockEnd()
            return .set(target, value, loc)
        }
        let filters = isOp("|") ? try parseFilterChain(first: false) : []
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: body, loc)
    }

    mutating func parseMacro() throws -> JinjaNode {
        let name = try expectName()
        try expectOp("(")
        var parameters: [(name: String, defaultValue: JinjaExpr?)] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let p = try expectName()
            parameters.append((p, skipOp("=") ? try parseExpression() : nil))
        }
        try expectOp(")")
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endmacro"])
        if !atEnd, case .name = current.kind { advance() }   // `{% endmacro name %}`
        try expectBlockEnd()
        return .macro(name: name, parameters: parameters, body: body)
    }

    /// `name(args) | name ...`; `first` means the chain starts without a `|`.
    mutating func parseFilterChain(first: Bool) throws -> [JinjaFilterCall] {
        var filters: [JinjaFilterCall] = []
        var needPipe = !first
        while true {
            if needPipe { guard skipOp("|") else { break } }
            needPipe = true
            let loc = location
            let name = try dottedName()
            let args = isOp("(") ? try parseCallArguments() : JinjaArguments()
            filters.append(JinjaFilterCall(name: name, arguments: args, location: loc))
        }
        return filters
    }

    mutating func dottedName() throws -> String {
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        return name
    }

    // MARK: Expressions

    mutating func parseExpression() throws -> JinjaExpr { try parseConditional(allowCondition: true) }

    mutating func parseConditional(allowCondition: Bool) throws -> JinjaExpr {
        try enter(); defer { depth -= 1 }
        let value = try parseOr()
        guard allowCondition, isName("if") else { return value }
        let loc = location
        advance()
        let condition = try parseOr()
        let otherwise = skipName("else") ? try parseConditional(allowCondition: true) : nil
        return try make(.conditional(condition: condition, then: value, otherwise: otherwise), loc,
                        [value, condition] + (otherwise.map { [$0] } ?? []))
    }

    mutating func parseOr() throws -> JinjaExpr {
        var left = try parseAnd()
        while isName("or") {
            let loc = location; advance()
            let right = try parseAnd()
            left = try make(.or(left, right), loc, [left, right])
        }
        return left
    }

    mutating func parseAnd() throws -> JinjaExpr {
        var left = try parseNot()
        while isName("and") {
            let loc = location; advance()
            let right = try parseNot()
            left = try make(.and(left, right), loc, [left, right])
        }
        return left
    }

    mutating func parseNot() throws -> JinjaExpr {
        if isName("not") {
            let loc = location; advance()
            try enter(); defer { depth -= 1 }
            let operand = try parseNot()
            return try make(.not(operand), loc, [operand])
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> JinjaExpr {
        let left = try parseMath1()
        var ops: [(op: String, operand: JinjaExpr)] = []
        while true {
            if !atEnd, case .op(let o) = current.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                advance(); ops.append((o, try parseMath1()))
            } else if isName("in") {
                advance(); ops.append(("in", try parseMath1()))
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                index += 2; ops.append(("not in", try parseMath1()))
            } else { break }
        }
        return ops.isEmpty ? left : try make(.compare(left, ops), left.location, [left] + ops.map(\.operand))
    }

    mutating func parseMath1() throws -> JinjaExpr {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            guard case .op(let o) = current.kind else { break }
            let loc = location; advance()
            let right = try parseConcat()
            left = try make(.binary(o, left, right), loc, [left, right])
        }
        return left
    }

    mutating func parseConcat() throws -> JinjaExpr {
        let first = try parseMath2()
        guard isOp("~") else { return first }
        var parts = [first]
        while skipOp("~") { parts.append(try parseMath2()) }
        return try make(.concat(parts), first.location, parts, extra: parts.count / 4)
    }

    mutating func parseMath2() throws -> JinjaExpr {
        var left = try parsePow()
        while true {
            guard !atEnd, case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) else { break }
            let loc = location; advance()
            let right = try parsePow()
            left = try make(.binary(o, left, right), loc, [left, right])
        }
        return left
    }

    mutating func parsePow() throws -> JinjaExpr {
        var left = try parseUnary(withFilter: true)
        while isOp("**") {
            let loc = location; advance()
            let right = try parseUnary(withFilter: true)
            left = try make(.binary("**", left, right), loc, [left, right])
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool) throws -> JinjaExpr {
        let loc = location
        var node: JinjaExpr
        if isOp("-") || isOp("+") {
            let negative = isOp("-")
            advance()
            try enter(); defer { depth -= 1 }
            let operand = try parseUnary(withFilter: false)
            node = try make(negative ? .negate(operand) : .plus(operand), loc, [operand])
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        return withFilter ? try parseFilterExpression(node) : node
    }
}
