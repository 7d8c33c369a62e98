/// Unified diffs of text files, line by line (Myers' O((N+M)D) algorithm), with `@@` hunks and context lines.
public enum LineDiff {
    enum Edit: Equatable {
        case same(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// Splits text into lines without their newline; a missing final newline is kept as a marker line.
    static func lines(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var out = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if out.last == "" { out.removeLast() } else { out[out.count - 1] += "\n\\ No newline at end of file" }
        return out
    }

    /// The shortest edit script from `a` to `b`.
    static func edits(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        let max = n + m
        if max == 0 { return [] }
        var v = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        outer: for d in 0...max {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[k - 1 + max] < v[k + 1 + max]) { x = v[k + 1 + max] } else { x = v[k - 1 + max] + 1 }
                var y = x - k
                while x < n && y < m && a[x] == b[y] { x += 1; y += 1 }
                v[k + max] = x
                if x >= n && y >= m { trace.append(v); break outer }
            }
        }
        // Walk back through the saved frontiers.
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 2, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let prevK = (k == -d || (k != d && v[k - 1 + max] < v[k + 1 + max])) ? k + 1 : k - 1
            let prevX = v[prevK + max]
            let prevY = prevX - prevK
            while x > prevX && y > prevY { x -= 1; y -= 1; edits.append(.same(x, y)) }
            if d > 0 {
                if x == prevX { y -= 1; edits.append(.insert(y)) } else { x -= 1; edits.append(.delete(x)) }
            }
        }
        while x > 0 && y > 0 { x -= 1; y -= 1; edits.append(.same(x, y)) }
        return edits.reversed()
    }

    /// A unified diff from `old` to `new`, or nil when they are equal.
    public static func unified(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String? {
        if old == new { return nil }
        let a = lines(old), b = lines(new)
        let script = edits(a, b)
        // Group edits into hunks: runs of changes with up to `context` equal lines around them.
        var hunks: [[Edit]] = []
        var current: [Edit] = []
        var trailingSame = 0
        var pendingSame: [Edit] = []
        for e in script {
            if case .same = e {
                if current.isEmpty {
                    pendingSame.append(e)
                    if pendingSame.count > context { pendingSame.removeFirst() }
                } else {
                    current.append(e)
                    trailingSame += 1
                    if trailingSame > 2 * context {
                        let keep = current.count - (trailingSame - context)
                        let tail = Array(current[keep...].suffix(context))
                        hunks.append(Array(current[..<keep]))
                        current = []
                        pendingSame = tail
                        trailingSame = 0
                    }
                }
            } else {
                if current.isEmpty { current = pendingSame; pendingSame = [] }
                current.append(e)
                trailingSame = 0
            }
        }
        if !current.isEmpty {
            if trailingSame > context { current.removeLast(trailingSame - context) }
            hunks.append(current)
        }
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks {
            var aStart: Int?, bStart: Int?
            var aCount = 0, bCount = 0
            var body = ""
            for e in hunk {
                switch e {
                case .same(let i, let j):
                    aStart = aStart ?? i; bStart = bStart ?? j
                    aCount += 1; bCount += 1
                    body += " " + a[i] + "\n"
                case .delete(let i):
                    aStart = aStart ?? i
                    aCount += 1
                    body += "-" + a[i] + "\n"
                case .insert(let j):
                    bStart = bStart ?? j
                    bCount += 1
                    body += "+" + b[j] + "\n"
                }
            }
            // A hunk that only inserts starts after the line before it (0 when at the top).
            let aFrom = aCount == 0 ? startBefore(hunk, inA: true) : (aStart ?? 0) + 1
            let bFrom = bCount == 0 ? startBefore(hunk, inA: false) : (bStart ?? 0) + 1
            out += "@@ -\(range(aFrom, aCount)) +\(range(bFrom, bCount)) @@\n" + body
        }
        return out
    }

    private static func range(_ start: Int, _ count: Int) -> String { count == 1 ? "\(start)" : "\(start),\(count)" }

    /// For a hunk with no lines on one side: the line number after which its lines would go.
    private static func startBefore(_ hunk: [Edit], inA: Bool) -> Int {
        for e in hunk {
            switch e {
            case .delete(let i) where !inA: return i  // insertion side empty: position in b is unknown here
            case .insert(let j) where inA: return j
            default: continue
            }
        }
        return 0
    }
}
