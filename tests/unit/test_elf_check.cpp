#include <gtest/gtest.h>

#include <vector>

#include <elf.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "plugin/elf_check.hpp"

using namespace mailfw;

namespace {
std::string real_plugin() {
    std::ifstream in(std::filesystem::path(MAILFW_TEST_PLUGIN_DIR) / "sasl-login.so", std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

TEST(ElfCheck, ARealPluginPasses) {
    const std::string so = real_plugin();
    ASSERT_GT(so.size(), 1000u) << "build sasl-login first";
    EXPECT_EQ(elf_problem(so), std::nullopt);
}

TEST(ElfCheck, TruncationAnywhereIsFound) {
    const std::string so = real_plugin();
    for (size_t len : {size_t{10}, size_t{63}, size_t{64}, size_t{200}, size_t{1000}, so.size() / 2, so.size() - 1}) {
        auto p = elf_problem(std::string_view(so).substr(0, len));
        ASSERT_TRUE(p) << len;
        EXPECT_NE(p->find("truncated"), std::string::npos) << len << ": " << *p;
    }
}

TEST(ElfCheck, DamagedHeadersAreNamed) {
    std::string so = real_plugin();
    Elf64_Ehdr eh;
    std::memcpy(&eh, so.data(), sizeof eh);
    std::string wrong_type = so;
    reinterpret_cast<Elf64_Ehdr*>(wrong_type.data())->e_type = ET_EXEC;
    EXPECT_NE(elf_problem(wrong_type)->find("not a shared object"), std::string::npos);
    std::string wrong_machine = so;
    reinterpret_cast<Elf64_Ehdr*>(wrong_machine.data())->e_machine = EM_SPARCV9;
    EXPECT_NE(elf_problem(wrong_machine)->find("another machine"), std::string::npos);
    std::string far_phdrs = so;
    reinterpret_cast<Elf64_Ehdr*>(far_phdrs.data())->e_phoff = ~uint64_t{0} - 8;  // no overflow either
    EXPECT_NE(elf_problem(far_phdrs)->find("program headers"), std::string::npos);
    EXPECT_EQ(elf_problem("plain text"), "not an ELF file");
    EXPECT_EQ(elf_file_problem("/nonexistent/plugin.so"), std::nullopt);  // dlopen explains that
}

TEST(ElfCheck, ProbesManyInOneChildAndGoesOnAfterACrash) {
    std::vector<int> ran;  // in the parent: nothing runs here
    const auto verdicts = probe_loads(5, [&](size_t i) {
        ran.push_back(static_cast<int>(i));
        if (i == 1) std::raise(SIGSEGV);
        if (i == 2) throw std::runtime_error("refused: the real load says why");
        if (i == 3) {
            std::fputs("Inconsistency detected by ld.so: number 3\n", stderr);
            std::_Exit(127);
        }
    });
    ASSERT_EQ(verdicts.size(), 5u);
    EXPECT_EQ(verdicts[0], std::nullopt);
    ASSERT_TRUE(verdicts[1]);
    EXPECT_NE(verdicts[1]->find("crashed"), std::string::npos) << *verdicts[1];
    EXPECT_EQ(verdicts[2], std::nullopt) << "a refusal is the real load's to report";
    ASSERT_TRUE(verdicts[3]);
    EXPECT_NE(verdicts[3]->find("Inconsistency detected by ld.so: number 3"), std::string::npos) << *verdicts[3];
    EXPECT_EQ(verdicts[4], std::nullopt) << "probed in a third child";
    EXPECT_TRUE(ran.empty()) << "every attempt ran in a child";
    EXPECT_TRUE(probe_loads(0, [](size_t) {}).empty());
}

TEST(ElfCheck, ProbeReportsACrashInTheChildOnly) {
    EXPECT_EQ(probe_load([] {}), std::nullopt);
    EXPECT_EQ(probe_load([] { throw std::runtime_error("refused"); }), std::nullopt);
    auto crashed = probe_load([] { std::raise(SIGSEGV); });
    ASSERT_TRUE(crashed);
    EXPECT_NE(crashed->find("crashed"), std::string::npos) << *crashed;
    auto gave_up = probe_load([] {
        std::fputs("Inconsistency detected by ld.so: test\n", stderr);
        std::_Exit(127);
    });
    ASSERT_TRUE(gave_up);
    EXPECT_NE(gave_up->find("Inconsistency detected by ld.so: test"), std::string::npos) << *gave_up;
}
