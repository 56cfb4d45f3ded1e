//===- X86Backend.cpp - x86 code generation and linking -------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/x86/X86Backend.h"
#include "backends/x86/KernelIsa.h"


#include "lld/Common/Driver.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

LLD_HAS_DRIVER(elf)

using namespace mlir;

static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const kiln::x86::TargetOptions &options,
                    std::string &triple, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  triple = options.triple.empty() ? llvm::sys::getDefaultTargetTriple()
                                  : options.triple;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return nullptr;
  std::optional<kiln::x86::TargetCpu> described =
      kiln::x86::describeTarget(options, error);
  if (!described)
    return nullptr;
  const std::string &cpu = described->cpu, &features = described->features;
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      llvm::Triple(triple), cpu, features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for " + triple;
  return machine;
}

static void runOptimizationPipeline(llvm::Module &module,
                                    llvm::TargetMachine &machine,
                                    unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&machine);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm =
      optLevel == 0 ? pb.buildO0DefaultPipeline(level)
                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

/// Targets `module` at the machine `options` describe and optimizes it.
static std::unique_ptr<llvm::TargetMachine>
prepareModule(llvm::Module &module, const kiln::x86::TargetOptions &options,
              std::string &error) {
  std::string triple;
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(options, triple, error);
  if (!machine)
    return nullptr;
  module.setTargetTriple(llvm::Triple(triple));
  module.setDataLayout(machine->createDataLayout());
  runOptimizationPipeline(module, *machine, options.optLevel);
  return machine;
}

LogicalResult kiln::x86::optimizeModule(llvm::Module &module,
                                        const TargetOptions &options,
                                        std::string &error) {
  return success(prepareModule(module, options, error) != nullptr);
}

LogicalResult kiln::x86::emitObject(llvm::Module &module,
                                    const TargetOptions &options,
                                    SmallVectorImpl<char> &object,
                                    std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      prepareModule(module, options, error);
  if (!machine)
    return failure();
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  codegen.run(module);
  return success();
}

LogicalResult kiln::x86::linkSharedLibrary(StringRef objectPath,
                                           StringRef runtimeArchive,
                                           StringRef outputPath,
                                           std::string &error) {
  // Link against the C runtime's shared objects directly, so that only the
  // libraries that are always installed are needed (no libc6-dev). The
  // runtime archive goes in whole: nothing in the compiled code calls it,
  // it calls the compiled code.
  const char *libDir = "/lib/x86_64-linux-gnu";
  std::string libc = std::string(libDir) + "/libc.so.6";
  std::string libm = std::string(libDir) + "/libm.so.6";
  // Thread-local storage (the runtime's last-error buffer) needs the
  // dynamic loader's __tls_get_addr.
  std::string loader = std::string(libDir) + "/ld-linux-x86-64.so.2";
  std::string omp = "/usr/lib/x86_64-linux-gnu/libomp.so.5";
  std::string out = outputPath.str(), obj = objectPath.str(),
              rt = runtimeArchive.str();
  SmallVector<const char *> args{"ld.lld",       "-shared",
                                 "--eh-frame-hdr", "-z",
                                 "now",          "-z",
                                 "noexecstack",  "--as-needed",
                                 // write(), not a mapped output: a full disk
                                 // is then an error, not SIGBUS.
                                 "--no-mmap-output-file",
                                 "-o",           out.c_str(),
                                 obj.c_str(),    "--whole-archive",
                                 rt.c_str(),     "--no-whole-archive",
                                 omp.c_str(),    libm.c_str(),
                                 libc.c_str(),   loader.c_str()};
#ifndef KILN_SANITIZED
  // Every symbol resolved at link time. (A sanitized runtime's calls into
  // the sanitizer runtime resolve in the process that loads the library.)
  args.push_back("--no-undefined");
#endif
  std::string messages;
  llvm::raw_string_ostream os(messages);
  lld::Result result = lld::lldMain(args, os, os, {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0 || !result.canRunAgain) {
    error = "linking failed: " + messages;
    return failure();
  }
  return success();
}
