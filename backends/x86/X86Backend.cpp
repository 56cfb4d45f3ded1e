//===- X86Backend.cpp - x86 code generation and linking -------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/x86/X86Backend.h"
#include "backends/x86/KernelIsa.h"


#include "lld/Common/Driver.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <thread>

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

/// Optimizes `module` and emits its object code into `object`.
static LogicalResult emitOne(llvm::Module &module,
                             const kiln::x86::TargetOptions &options,
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

/// Links `objects` into one relocatable object (ld.lld -r) in `object`.
static LogicalResult mergeObjects(ArrayRef<SmallVector<char, 0>> objects,
                                  SmallVectorImpl<char> &object,
                                  std::string &error) {
  SmallVector<std::string> paths;
  SmallVector<llvm::FileRemover> removers;
  removers.reserve(objects.size() + 1);
  auto temporary = [&](std::string &path) {
    llvm::SmallString<128> name;
    int fd;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("kiln-part", "o", fd, name)) {
      error = "cannot create a temporary object file: " + ec.message();
      return false;
    }
    llvm::raw_fd_ostream(fd, /*shouldClose=*/true);
    path = name.str().str();
    removers.emplace_back(path);
    return true;
  };
  for (const SmallVector<char, 0> &part : objects) {
    std::string path;
    if (!temporary(path))
      return failure();
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os.write(part.data(), part.size());
    os.close();
    if (ec || os.has_error()) {
      error = "cannot write '" + path + "'";
      return failure();
    }
    paths.push_back(path);
  }
  std::string merged;
  if (!temporary(merged))
    return failure();
  SmallVector<const char *> args{"ld.lld", "-r", "--no-mmap-output-file", "-o",
                                 merged.c_str()};
  for (const std::string &path : paths)
    args.push_back(path.c_str());
  std::string messages;
  llvm::raw_string_ostream messageStream(messages);
  lld::Result result = lld::lldMain(args, messageStream, messageStream,
                                    {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0 || !result.canRunAgain) {
    error = "merging the partitions' objects failed: " + messages;
    return failure();
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(merged);
  if (!buffer) {
    error = "cannot read '" + merged + "': " + buffer.getError().message();
    return failure();
  }
  object.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  return success();
}

LogicalResult kiln::x86::emitObject(llvm::Module &module,
                                    const TargetOptions &options,
                                    SmallVectorImpl<char> &object,
                                    std::string &error) {
  // A model module is split into one partition per thread (SplitModule
  // balances them by size), each optimized and compiled in a context of
  // its own, and the objects merged: LLVM's time is most of a compile.
  // Small modules (kernel tests, tiny models) are not worth the split.
  unsigned jobs = options.jobs;
  if (!jobs) {
    size_t instructions = 0;
    for (const llvm::Function &f : module)
      instructions += f.getInstructionCount();
    jobs = instructions < options.splitInstructions
               ? 1
               : llvm::hardware_concurrency().compute_thread_count();
  }
  if (jobs < 2)
    return emitOne(module, options, object, error);

  // The partitions travel as bitcode: a module belongs to one context.
  std::string triple;
  {
    std::unique_ptr<llvm::TargetMachine> machine =
        createTargetMachine(options, triple, error);
    if (!machine)
      return failure();
    module.setTargetTriple(llvm::Triple(triple));
    module.setDataLayout(machine->createDataLayout());
  }
  SmallVector<SmallVector<char, 0>> bitcode;
  llvm::SplitModule(module, jobs, [&](std::unique_ptr<llvm::Module> part) {
    bitcode.emplace_back();
    llvm::raw_svector_ostream os(bitcode.back());
    llvm::WriteBitcodeToFile(*part, os);
  });
  SmallVector<SmallVector<char, 0>> objects(bitcode.size());
  SmallVector<std::string> errors(bitcode.size());
  auto compile = [&](size_t i) {
    llvm::LLVMContext context;
    llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(
            llvm::StringRef(bitcode[i].data(), bitcode[i].size()), "partition"),
        context);
    if (!part) {
      errors[i] = llvm::toString(part.takeError());
      return;
    }
    bitcode[i] = {};
    if (failed(emitOne(**part, options, objects[i], errors[i])) &&
        errors[i].empty())
      errors[i] = "code generation failed";
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < bitcode.size(); ++i)
    threads.emplace_back(compile, i);
  compile(0);
  for (std::thread &t : threads)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty()) {
      error = e;
      return failure();
    }
  return mergeObjects(objects, object, error);
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
