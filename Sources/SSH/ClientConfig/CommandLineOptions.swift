import FlotillaCore

extension SSHClientConfig {
    /// ssh's command-line options (as an inventory's `ansible_ssh_common_args` gives them: `-o ProxyJump=bastion`,
    /// `-J bastion`, `-p 2222`...) read as the configuration lines they stand for, so that they are honoured or
    /// refused exactly as ssh_config lines are. `origin` names them in messages. Options that cannot change where
    /// or how the connection goes (-C, -q, -v, -T, -A, -o ControlMaster=...) are accepted and ignored; `-F` (another
    /// config file), other options and stray words are refused.
    public static func commandLine(
        _ words: [String], origin: String, context: LocalContext = .current()
    ) throws(SSHConfigError) -> (config: SSHClientConfig, refusals: [SSHConfigRefusal]) {
        var lines: [String] = []
        var refusals: [SSHConfigRefusal] = []
        func refuse(_ option: String, _ value: String, _ why: String) {
            refusals.append(SSHConfigRefusal(file: origin, line: 0, keyword: option, value: value, why: why))
        }
        func line(_ keyword: String, _ value: String) {
            let quoted = value.contains(where: \.isWhitespace) && !value.contains("\"") ? "\"\(value)\"" : value
            lines.append("\(keyword) \(quoted)")
        }
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            guard word.count >= 2, word.hasPrefix("-"), word != "--" else {
                refuse(word, "", "it is not an ssh option; ssh would read it as the destination or the command")
                continue
            }
            var letters = Array(word.dropFirst())
            while let letter = letters.first {
                letters.removeFirst()
                if flagsWithoutEffect.contains(letter) { continue }
                guard let keyword = optionsWithArgument[letter] else {
                    switch letter {
                    case "4": line("AddressFamily", "inet")
                    case "6": line("AddressFamily", "inet6")
                    default: refuse("-\(letter)", "", "it is not an ssh option Flotilla knows")
                    }
                    continue
                }
                // The argument is the rest of this word (-p2222, -oPort=22) or the next word.
                var argument = String(letters)
                letters = []
                if argument.isEmpty {
                    guard index < words.count else {
                        throw .missingArgument(file: origin, line: 0, keyword: "-\(letter)")
                    }
                    argument = words[index]
                    index += 1
                }
                switch keyword {
                case "-o":
                    lines.append(argument)
                case "-F":
                    refuse("-F", argument, "it names another ssh config file, which Flotilla does not read (give it with flotilla's own -F)")
                case "":
                    continue
                default:
                    line(keyword, argument)
                }
            }
        }
        let config = try parse(text: lines.joined(separator: "\n"), file: origin, context: context)
        return (config, refusals)
    }

    /// ssh's flags that take no argument and cannot change where or how the connection goes.
    private static let flagsWithoutEffect: Set<Character> = [
        "A", "a", "C", "f", "g", "K", "k", "M", "N", "n", "q", "s", "T", "t", "V", "v", "X", "x", "Y", "y",
    ]

    /// ssh's options that take an argument: the config keyword each stands for, "-o" for -o itself, "-F" for -F,
    /// and "" for the ones that cannot change where or how the connection goes (forwarding, logging, control
    /// sockets, escape character, tags).
    private static let optionsWithArgument: [Character: String] = [
        "o": "-o", "F": "-F",
        "J": "ProxyJump", "p": "Port", "l": "User", "i": "IdentityFile", "b": "BindAddress", "B": "BindInterface",
        "c": "Ciphers", "m": "MACs", "I": "PKCS11Provider",
        "D": "", "L": "", "R": "", "W": "", "E": "", "e": "", "S": "", "O": "", "Q": "", "P": "", "w": "",
    ]
}
