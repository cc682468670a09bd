// Test-only stand-in for macOS's <net/if_mib.h> (and the if_data64 of <net/if_var.h>): the MIB
// names native/ifmib_darwin.cc asks for and the struct the simulated kernel answers with, in the
// layout of the macOS SDK (if_data64 under #pragma pack(4), so ifmd_data starts at byte 52 and the
// struct is 180 bytes). agent/parsers/ifmib.ts decodes the same layout.
#ifndef SIMULATED_NET_IF_MIB_H
#define SIMULATED_NET_IF_MIB_H

#include <stdint.h>

#ifndef IFNAMSIZ
#define IFNAMSIZ 16
#endif
// PF_LINK comes from <sys/socket.h> on macOS; Linux's has none.
#ifndef PF_LINK
#define PF_LINK 18
#endif

#define NETLINK_GENERIC 0
#define IFMIB_SYSTEM 1
#define IFMIB_IFDATA 2
#define IFMIB_IFCOUNT 1
#define IFDATA_GENERAL 1

#pragma pack(4)
struct if_data64 {
  unsigned char ifi_type;
  unsigned char ifi_typelen;
  unsigned char ifi_physical;
  unsigned char ifi_addrlen;
  unsigned char ifi_hdrlen;
  unsigned char ifi_recvquota;
  unsigned char ifi_xmitquota;
  unsigned char ifi_unused1;
  uint32_t ifi_mtu;
  uint32_t ifi_metric;
  uint64_t ifi_baudrate;
  uint64_t ifi_ipackets;
  uint64_t ifi_ierrors;
  uint64_t ifi_opackets;
  uint64_t ifi_oerrors;
  uint64_t ifi_collisions;
  uint64_t ifi_ibytes;
  uint64_t ifi_obytes;
  uint64_t ifi_imcasts;
  uint64_t ifi_omcasts;
  uint64_t ifi_iqdrops;
  uint64_t ifi_noproto;
  uint32_t ifi_recvtiming;
  uint32_t ifi_xmittiming;
  struct {
    int32_t tv_sec;
    int32_t tv_usec;
  } ifi_lastchange;
};
#pragma pack()

struct ifmibdata {
  char ifmd_name[IFNAMSIZ];
  unsigned int ifmd_pcount;
  unsigned int ifmd_flags;
  unsigned int ifmd_snd_len;
  unsigned int ifmd_snd_maxlen;
  unsigned int ifmd_snd_drops;
  unsigned int ifmd_filler[4];
  struct if_data64 ifmd_data;
};

#endif
