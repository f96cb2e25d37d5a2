#include "plugin/elf_check.hpp"

#include <elf.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

namespace mailfw {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#else
constexpr uint16_t kMachine = 0;  // not checked
#endif

// [offset, offset + size) inside a file of `total` bytes, without overflow.
bool inside(uint64_t offset, uint64_t size, uint64_t total) { return offset <= total && size <= total - offset; }

template <class T>
T read_at(std::string_view image, uint64_t offset) {
    T v;
    std::memcpy(&v, image.data() + offset, sizeof v);
    return v;
}

std::string at(uint64_t n) { return std::to_string(n); }

constexpr int kProbeThrew = 3;  // the child's exit code when the attempt threw

}  // namespace

std::optional<std::string> elf_problem(std::string_view image) {
    const uint64_t total = image.size();
    if (total < SELFMAG || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) return "not an ELF file";
    if (total < sizeof(Elf64_Ehdr)) return "truncated: " + at(total) + " bytes, shorter than its ELF header";
    if (static_cast<unsigned char>(image[EI_CLASS]) != ELFCLASS64) return "not a 64-bit ELF file";
    const auto eh = read_at<Elf64_Ehdr>(image, 0);
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB && eh.e_ident[EI_DATA] != ELFDATA2MSB) return "damaged ELF header";
    if (eh.e_type != ET_DYN) return "not a shared object (ELF type " + at(eh.e_type) + ")";
    if (kMachine && eh.e_machine != kMachine) return "built for another machine (ELF machine " + at(eh.e_machine) + ")";
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0) return "damaged ELF header (program headers)";
    if (!inside(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), total))
        return "truncated: its program headers end past byte " + at(total);
    if (eh.e_shoff && !inside(eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize, total))
        return "truncated: its section headers end past byte " + at(total);

    bool loadable = false;
    for (uint16_t i = 0; i < eh.e_phnum; ++i) {
        const auto ph = read_at<Elf64_Phdr>(image, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
        if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC && ph.p_type != PT_INTERP) continue;
        if (!inside(ph.p_offset, ph.p_filesz, total))
            return "truncated: segment " + at(i) + " ends at byte " + at(ph.p_offset + ph.p_filesz) + " of " + at(total);
        if (ph.p_type == PT_LOAD) {
            loadable = true;
            if (ph.p_filesz > ph.p_memsz) return "damaged: segment " + at(i) + " is larger in the file than in memory";
            if (ph.p_align > 1 && (ph.p_vaddr % ph.p_align) != (ph.p_offset % ph.p_align))
                return "damaged: segment " + at(i) + " is misaligned";
        }
        if (ph.p_type == PT_DYNAMIC) {
            // Every entry inside the segment, and the table ends with DT_NULL.
            if (ph.p_filesz % sizeof(Elf64_Dyn) != 0) return "damaged: its dynamic section has a partial entry";
            bool terminated = false;
            for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= ph.p_filesz; off += sizeof(Elf64_Dyn))
                if (read_at<Elf64_Dyn>(image, ph.p_offset + off).d_tag == DT_NULL) {
                    terminated = true;
                    break;
                }
            if (!terminated) return "damaged: its dynamic section has no end";
        }
    }
    if (!loadable) return "damaged: nothing in it can be loaded";
    return std::nullopt;
}

std::optional<std::string> elf_file_problem(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;  // dlopen reports unreadable files itself
    std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (image.size() < SELFMAG || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) return std::nullopt;
    return elf_problem(image);
}

std::optional<std::string> probe_load(const std::function<void()>& attempt) {
    int err[2];
    if (::pipe(err) != 0) return std::nullopt;  // cannot probe: the real load goes ahead
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(err[0]);
        ::close(err[1]);
        return std::nullopt;
    }
    if (pid == 0) {  // the child: only the attempt, then _exit (no destructors, no atexit)
        ::close(err[0]);
        ::dup2(err[1], STDERR_FILENO);
        // A crash must end the child by its signal, even where a sanitizer
        // or a crash reporter installed handlers of its own.
        for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) ::signal(sig, SIG_DFL);
        int code = 0;
        try {
            attempt();
        } catch (...) {
            code = kProbeThrew;
        }
        ::_exit(code);
    }
    ::close(err[1]);
    std::string said;  // the loader's own words, if any
    char buf[512];
    // Bounded: a child stuck in the loader must not hang start-up.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    for (;;) {
        pollfd p{err[0], POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) {
            const ssize_t n = ::read(err[0], buf, sizeof buf);
            if (n > 0 && said.size() < 4096) said.append(buf, static_cast<size_t>(n));
        }
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            ::close(err[0]);
            return std::nullopt;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ::close(err[0]);
            return std::nullopt;
        }
    }
    for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0 && said.size() < 4096;) said.append(buf, static_cast<size_t>(n));
    ::close(err[0]);
    said = said.substr(0, said.find('\n'));
    if (WIFSIGNALED(status))
        return "loading it crashed (" + std::string(strsignal(WTERMSIG(status))) + ")" +
               (said.empty() ? std::string() : ": " + said);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != kProbeThrew)
        return "the dynamic loader gave up on it" + (said.empty() ? std::string() : ": " + said);
    return std::nullopt;
}

}  // namespace mailfw
