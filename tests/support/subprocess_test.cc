#include "support/subprocess.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace kw::test {
namespace {

TEST(Subprocess, CapturesStdoutStderrAndExitCode) {
  auto r = RunSubprocess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_TRUE(r->ExitedWith(3)) << r->Describe();
}

TEST(Subprocess, PassesArgvWithoutAShell) {
  auto r = RunSubprocess({"printf", "[%s]", "a b", "$HOME", "*", ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "[a b][$HOME][*][]");
}

TEST(Subprocess, FeedsStdinAndClosesIt) {
  SubprocessOptions o;
  o.stdin_data = "line1\nline2";
  auto r = RunSubprocess({"cat"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "line1\nline2");
  auto empty = RunSubprocess({"cat"});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->out, "");
  EXPECT_TRUE(empty->ExitedWith(0));
}

TEST(Subprocess, LargeOutputOnBothPipesDoesNotDeadlock) {
  // 2 MiB on stdout and stderr, interleaved, while 1 MiB goes in on stdin.
  SubprocessOptions o;
  o.stdin_data = std::string(1 << 20, 'x');
  auto r = RunSubprocess({"sh", "-c",
                          "head -c 2097152 /dev/zero & head -c 2097152 /dev/zero >&2; wait; wc -c >&2"},
                         o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 2097152u);
  EXPECT_EQ(r->err.size(), 2097152u + std::string("1048576\n").size());
  EXPECT_TRUE(r->ExitedWith(0)) << r->DescribeStatus();
}

TEST(Subprocess, ChildThatIgnoresStdinDoesNotKillTheParent) {
  SubprocessOptions o;
  o.stdin_data = std::string(4 << 20, 'x');  // more than a pipe holds
  auto r = RunSubprocess({"true"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ExitedWith(0));
}

TEST(Subprocess, EnvironmentOverridesAndRemovals) {
  ::setenv("KW_SUBPROCESS_TEST_REMOVE", "present", 1);
  SubprocessOptions o;
  o.env = {{"KW_A", "1"}, {"KW_SUBPROCESS_TEST_REMOVE", std::nullopt}};
  auto r = RunSubprocess({"sh", "-c", "echo \"$KW_A/${KW_SUBPROCESS_TEST_REMOVE-unset}\""}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "1/unset\n");
}

TEST(Subprocess, WorkingDirectory) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  SubprocessOptions o;
  o.cwd = dir->path();
  auto r = RunSubprocess({"pwd"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, dir->path() + "\n");
  o.cwd = dir->Path("missing");
  EXPECT_FALSE(RunSubprocess({"pwd"}, o).ok());
}

TEST(Subprocess, TimeoutKillsTheProcessGroup) {
  SubprocessOptions o;
  o.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  // The grandchild keeps the pipes open; the kill must reach it too.
  auto r = RunSubprocess({"sh", "-c", "echo started; sleep 30 & sleep 30"}, o);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ExitedWith(0));
  EXPECT_EQ(r->out, "started\n");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(Subprocess, ReportsSignals) {
  auto r = RunSubprocess({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->term_signal, 15);
  EXPECT_FALSE(r->timed_out);
}

TEST(Subprocess, NoControllingTerminal) {
  auto r = RunSubprocess({"sh", "-c", "if (: </dev/tty) 2>/dev/null; then echo has-tty; else echo no-tty; fi"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "no-tty\n");
}

TEST(Subprocess, MissingProgramIsAnError) {
  auto r = RunSubprocess({"kw-no-such-program-anywhere"});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(RunSubprocess({"/nonexistent/prog"}).ok());
}

TEST(Subprocess, ShellQuote) {
  EXPECT_EQ(ShellQuote({"ssh-keygen", "-l", "-f", "a b", "", "it's"}),
            "ssh-keygen -l -f 'a b' '' 'it'\\''s'");
}

TEST(BackgroundProcess, StopsAndReportsHowItEnded) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  BackgroundOptions o;
  o.stdout_path = dir->Path("out.log");
  auto p = BackgroundProcess::Start({"sh", "-c", "echo hi; exec sleep 30"}, o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->Running());
  EXPECT_EQ(p->Stop(), "killed by signal 15");
  EXPECT_FALSE(p->Running());
  auto q = BackgroundProcess::Start({"sh", "-c", "exit 4"});
  ASSERT_TRUE(q.ok());
  for (int i = 0; i < 500 && q->Running(); ++i) usleep(10000);
  EXPECT_EQ(q->ended(), "exit 4");
}

}  // namespace
}  // namespace kw::test
