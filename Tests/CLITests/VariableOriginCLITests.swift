import Foundation
import Testing
import FlotillaTesting

/// Variable errors reach the operator with the file:line:column of the value, through the real command line; the
/// origins travel beside the values, so `inventory --json` and `--graph` print what they printed before origins
/// existed (the expected text is the output of the commit before them).
@Suite struct VariableOriginCLITests {
    func withDirectory(_ body: (_ dir: String) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "flotilla-origins-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/group_vars", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/host_vars", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await body(dir)
    }

    @Test func runAndInventoryNameTheLineOfABadVariable() async throws {
        try await withDirectory { dir in
            try "[web]\nweb1\nweb2 ansible_host=127.0.0.1\n".write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
            try "---\nntp: pool.example\nansible_become: perhaps\n".write(toFile: dir + "/group_vars/web.yml", atomically: true, encoding: .utf8)
            let expected = "\(dir)/group_vars/web.yml:3:17: host 'web1': ansible_become is 'perhaps', expected a boolean (yes/no, true/false, on/off, 1/0)"
            let run = try await FlotillaBinary.run(["run", "-i", dir + "/hosts.ini", "--", "true"], environment: ["FLOTILLA_DB": dir + "/db.sqlite"])
            #expect(run.status == 1, "\(run.text)")
            #expect(run.text.contains(expected), "\(run.text)")
            let inventory = try await FlotillaBinary.run(["inventory", "-i", dir + "/hosts.ini"])
            #expect(inventory.status == 1, "\(inventory.text)")
            #expect(inventory.text.contains(expected), "\(inventory.text)")
        }
    }

    static let json = """
        {
          "groups" : {
            "all" : {
              "children" : [
                "ungrouped",
                "web"
              ],
              "hosts" : [

              ],
              "vars" : {

              }
            },
            "ungrouped" : {
              "children" : [

              ],
              "hosts" : [

              ],
              "vars" : {

              }
            },
            "web" : {
              "children" : [

              ],
              "hosts" : [
                "web1",
                "web2"
              ],
              "vars" : {
                "ntp" : "pool.example"
              }
            }
          },
          "hosts" : {
            "web1" : {
              "connection" : {
                "become" : true,
                "port" : 2222,
                "user" : "ops"
              },
              "groups" : [
                "web"
              ],
              "vars" : {
                "ansible_become" : true,
                "ansible_port" : 2222,
                "ansible_user" : "ops",
                "ntp" : "pool.example",
                "tier" : [
                  1,
                  2
                ]
              }
            },
            "web2" : {
              "connection" : {
                "become" : true,
                "password" : "********"
              },
              "groups" : [
                "web"
              ],
              "vars" : {
                "ansible_become" : true,
                "ansible_password" : "********",
                "ntp" : "pool.example"
              }
            }
          }
        }
        """

    static let graph = """
        @all:
          |--@ungrouped:
          |--@web:
          |  |--web1
          |  |--web2
        """

    @Test func jsonAndGraphAreUnchanged() async throws {
        try await withDirectory { dir in
            try "[web]\nweb1:2222 ansible_user=ops tier=\"[1, 2]\"\nweb2\n[web:vars]\nntp = \"pool.example\"\n"
                .write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
            try "ansible_become: yes\n".write(toFile: dir + "/group_vars/all.yml", atomically: true, encoding: .utf8)
            try "ansible_password: s3cret\n".write(toFile: dir + "/host_vars/web2.yml", atomically: true, encoding: .utf8)
            let json = try await FlotillaBinary.run(["inventory", "-i", dir + "/hosts.ini", "--json"])
            #expect(json.status == 0, "\(json.text)")
            #expect(String(decoding: json.output, as: UTF8.self) == Self.json + "\n")
            let graph = try await FlotillaBinary.run(["inventory", "-i", dir + "/hosts.ini", "--graph"])
            #expect(graph.status == 0, "\(graph.text)")
            #expect(String(decoding: graph.output, as: UTF8.self) == Self.graph + "\n")
        }
    }
}
