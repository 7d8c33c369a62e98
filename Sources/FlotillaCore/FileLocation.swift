/// A place in a file the user wrote (an inventory, a variables file, a playbook): the path as it was given, a
/// 1-based line and column, printed `file:line:column`, the form compilers and editors understand.
public struct FileLocation: Sendable, Codable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
