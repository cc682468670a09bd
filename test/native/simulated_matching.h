// The matching dictionary the simulated IOServiceMatching (simulated_smc.cc) returns: the class
// name, which both simulations (the AppleSMC and the registry) match services against.
#ifndef SIMULATED_MATCHING_H
#define SIMULATED_MATCHING_H

#include <string>

struct SimulatedMatching {
  std::string name;
};

#endif
