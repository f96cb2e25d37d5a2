// A plugin file is checked before dlopen sees it: a truncated or damaged
// shared object makes the dynamic loader read past the file's end (SIGBUS)
// or follow corrupt relocations (SIGSEGV), killing the whole process with
// nothing on stderr. Two defences, each naming what is wrong:
//   - elf_problem(): the ELF structure (header, program headers, every
//     segment and the dynamic section inside the file), pure and fuzzable;
//   - probe_loads(): the libraries are loaded once in a child process (one
//     child for all of them, a new one only after a crash), so a crash while
//     loading kills the child, not mailfwd.
#pragma once
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw {

// nullopt when `image` (the whole file) is a well-formed shared object for
// this machine, else what is wrong ("truncated: segment 2 ends at byte ...").
std::optional<std::string> elf_problem(std::string_view image);

// Maps the file and checks it; also nullopt when it is not ELF at all
// (dlopen then explains that better).
std::optional<std::string> elf_file_problem(const std::filesystem::path& file);

// Runs `attempt` (loading the library and reading its descriptor, as the
// real load will) in a forked child, its stderr captured. The reason when
// the child died of a signal or the dynamic loader gave up on the file
// (glibc's "Inconsistency detected by ld.so" ends the process), nullopt
// otherwise: it worked, threw (the real load will say why), or no probe
// could be made. Call only while the process has a single thread
// (start-up, listings).
std::optional<std::string> probe_load(const std::function<void()>& attempt);

// The same for attempts 0..count-1 in one child, in order: one verdict per
// attempt. After an attempt kills the child, the next ones go on in a new
// one; when no probe can be made (or it hangs), the rest stay nullopt.
std::vector<std::optional<std::string>> probe_loads(size_t count, const std::function<void(size_t)>& attempt);

}  // namespace mailfw
