// The tightest-binding part of jinja2's expression grammar: literals, names, brackets, attribute and item
// access, slices, calls, `| filter` chains and `is test` checks (parser.py parse_primary, parse_postfix,
// parse_filter_expr, parse_test).

extension JinjaParser {
    mutating func parsePrimary() throws -> JinjaExpr {
        let loc = location
        guard !atEnd else { throw JinjaError.syntax("unexpected end of template in an expression", at: loc) }
        switch current.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return try make(.literal(.bool(true)), loc, [])
            case "false", "False": return try make(.literal(.bool(false)), loc, [])
            case "none", "None": return try make(.literal(.none), loc, [])
            default: return try make(.name(n), loc, [])
            }
        case .string(let s):
            advance()
            var text = s
            while !atEnd, case .string(let more) = current.kind { text += more; advance() }
            return try make(.literal(.string(text)), loc, [])
        case .integer(let i): advance(); return try make(.literal(.int(i)), loc, [])
        case .float(let d): advance(); return try make(.literal(.double(d)), loc, [])
        case .op("("):
            advance()
            try enter(); defer { depth -= 1 }
            if skipOp(")") { return try make(.tuple([]), loc, []) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return try make(.tuple(items), loc, items)
        case .op("["):
            advance()
            try enter(); defer { depth -= 1 }
            var items: [JinjaExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(","); if isOp("]") { break } }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return try make(.list(items), loc, items)
        case .op("{"):
            advance()
            try enter(); defer { depth -= 1 }
            var pairs: [(key: JinjaExpr, value: JinjaExpr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(","); if isOp("}") { break } }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return try make(.dict(pairs), loc, pairs.flatMap { [$0.key, $0.value] })
        default:
            throw JinjaError.syntax("unexpected \(describe()) in an expression", at: loc)
        }
    }

    mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while !atEnd {
            let loc = location
            if skipOp(".") {
                guard !atEnd else { break }
                switch current.kind {
                case .name(let n): advance(); node = try make(.attribute(node, n), loc, [node])
                case .integer(let i):
                    advance()
                    node = try make(.item(node, try make(.literal(.int(i)), loc, [])), loc, [node])
                default: throw JinjaError.syntax("expected an attribute name after '.', found \(describe())", at: location)
                }
            } else if isOp("[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                let args = try parseCallArguments()
                node = try make(.call(node, args), node.location, [node], extra: args.height)
            } else { break }
        }
        return node
    }

    private mutating func parseSubscript(_ node: JinjaExpr) throws -> JinjaExpr {
        let loc = location
        try expectOp("[")
        try enter(); defer { depth -= 1 }
        var parts: [JinjaExpr?] = []
        var isSlice = false
        var pending: JinjaExpr? = nil
        while !isOp("]") {
            if skipOp(":") {
                isSlice = true
                parts.append(pending); pending = nil
                guard parts.count <= 2 else { throw JinjaError.syntax("too many ':' in a slice", at: location) }
                continue
            }
            guard pending == nil else { throw JinjaError.syntax("expected ':' or ']' in a subscript, found \(describe())", at: location) }
            pending = try parseExpression()
        }
        try expectOp("]")
        if !isSlice {
            guard let key = pending else { throw JinjaError.syntax("empty subscript '[]'", at: loc) }
            return try make(.item(node, key), loc, [node, key])
        }
        parts.append(pending)
        while parts.count < 3 { parts.append(nil) }
        let children = [node] + parts.compactMap { $0 }
        return try make(.slice(node, start: parts[0], stop: parts[1], step: parts[2]), loc, children)
    }

    mutating func parseCallArguments() throws -> JinjaArguments {
        try expectOp("(")
        try enter(); defer { depth -= 1 }
        var args = JinjaArguments()
        while !isOp(")") {
            if !args.positional.isEmpty || !args.keyword.isEmpty { try expectOp(","); if isOp(")") { break } }
            if isOp("*") || isOp("**") { throw JinjaError.unsupported(construct: "*args / **kwargs in calls", at: location) }
            if !atEnd, case .name(let n) = current.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                index += 2
                args.keyword.append((n, try parseExpression()))
            } else {
                guard args.keyword.isEmpty else {
                    throw JinjaError.syntax("positional argument after a keyword argument", at: location)
                }
                args.positional.append(try parseExpression())
            }
        }
        try expectOp(")")
        return args
    }

    mutating func parseFilterExpression(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while !atEnd {
            let loc = location
            if skipOp("|") {
                let name = try dottedName()
                let args = isOp("(") ? try parseCallArguments() : JinjaArguments()
                node = try make(.filter(node, JinjaFilterCall(name: name, arguments: args, location: loc)), loc, [node], extra: args.height)
            } else if isName("is") {
                advance()
                let negated = skipName("not")
                let name = try dottedName()
                var args = JinjaArguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if startsTestArgument() {
                    let arg = try parsePostfix(try parsePrimary())
                    args.positional = [arg]
                }
                node = try make(.test(node, name: name, arguments: args, negated: negated), loc, [node], extra: args.height)
            } else if isOp("(") {
                let args = try parseCallArguments()
                node = try make(.call(node, args), node.location, [node], extra: args.height)
            } else { break }
        }
        return node
    }

    /// jinja2 takes one bare argument after a test name (`is divisibleby 3`) when a primary follows.
    private func startsTestArgument() -> Bool {
        guard !atEnd else { return false }
        switch current.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "(" || o == "[" || o == "{"
        default: return false
        }
    }
}
