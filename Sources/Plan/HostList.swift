/// Host names listed compactly: `web01, web02, web03, db1` becomes `web[01:03], db1`.
public enum HostList {
    public static func compact(_ names: [String]) -> String {
        struct Numbered { var prefix: String; var digits: String; var suffix: String }
        func split(_ name: String) -> Numbered? {
            let chars = Array(name)
            guard let last = chars.lastIndex(where: \.isNumber) else { return nil }
            var first = last
            while first > 0 && chars[first - 1].isNumber { first -= 1 }
            return Numbered(prefix: String(chars[..<first]), digits: String(chars[first...last]), suffix: String(chars[(last + 1)...]))
        }
        var out: [String] = []
        var i = 0
        while i < names.count {
            guard let a = split(names[i]), let start = Int(a.digits) else { out.append(names[i]); i += 1; continue }
            var j = i + 1
            var end = start
            while j < names.count, let b = split(names[j]), b.prefix == a.prefix, b.suffix == a.suffix,
                b.digits.count == a.digits.count, end < Int.max, Int(b.digits) == end + 1 {
                end += 1
                j += 1
            }
            if j - i >= 3 {
                let last = split(names[j - 1])!.digits
                out.append("\(a.prefix)[\(a.digits):\(last)]\(a.suffix)")
            } else {
                out += names[i..<j]
            }
            i = j
        }
        return out.joined(separator: ", ")
    }
}
