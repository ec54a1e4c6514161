// Many keyward-agent instances in one process, for bench/agent_fleet.sh
// (issue 7 allows "processes or in-process instances with their own state
// directories"). Each instance is the agent's own Agent class, run by
// Agent::Run() on a thread of its own, with its own config, state and
// install directories: the same code path as `keyward-agent run`, without
// a process (and its address space switch) per agent.
//
// usage: kw_bench_agent_fleet < LIST   (LIST: one agent.conf per line, each
//        already enrolled)
// Each instance's log goes to DIR/log next to its config. SIGTERM/SIGINT
// stop them all. Prints "started N" on stdout when every instance is open.
#include <pthread.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/config.h"
#include "base/file.h"
#include "net/http_client.h"

namespace {

struct Instance {
  std::unique_ptr<kw::agent::Agent> agent;
  std::unique_ptr<std::ofstream> log;
  std::mutex log_mu;
};

void* RunInstance(void* arg) {
  static_cast<Instance*>(arg)->agent->Run();
  return nullptr;
}

}  // namespace

int main(int argc, char**) {
  if (argc != 1) {
    std::cerr << "usage: kw_bench_agent_fleet < LIST (one agent.conf per line)\n";
    return 2;
  }
  std::vector<std::string> configs;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty()) configs.push_back(line);
  }
  static kw::net::CancelSignal stop;
  kw::net::CancelOnTerminationSignals(&stop);

  std::vector<std::unique_ptr<Instance>> fleet;
  for (const std::string& path : configs) {
    auto config = kw::agent::LoadAgentConfig(path);
    if (!config.ok()) {
      std::cerr << path << ": " << config.status().message() << "\n";
      return 1;
    }
    auto inst = std::make_unique<Instance>();
    inst->log = std::make_unique<std::ofstream>(kw::DirectoryOf(path) + "/log", std::ios::app);
    Instance* raw = inst.get();
    auto agent = kw::agent::Agent::Open(*config, &stop, [raw](std::string_view line) {
      std::lock_guard<std::mutex> lock(raw->log_mu);
      *raw->log << "keyward-agent: " << line << std::endl;
    });
    if (!agent.ok()) {
      std::cerr << path << ": " << agent.status().message() << "\n";
      return 1;
    }
    inst->agent = std::move(*agent);
    fleet.push_back(std::move(inst));
  }
  // Small stacks: the agent's frames are shallow, and 1,000 default 8 MiB
  // stacks would only cost address space, but say what one agent needs.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 << 10);
  std::vector<pthread_t> threads(fleet.size());
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (pthread_create(&threads[i], &attr, RunInstance, fleet[i].get()) != 0) {
      std::cerr << "cannot start thread " << i << "\n";
      stop.Cancel();
      fleet.resize(i);
      threads.resize(i);
      break;
    }
  }
  pthread_attr_destroy(&attr);
  std::cout << "started " << threads.size() << std::endl;
  for (pthread_t t : threads) pthread_join(t, nullptr);
  return 0;
}
