# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
# The options every hostfit module shares, documented once.
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
requirements:
  - hostfit on the managed host (the C(hostfit) Debian package, or C(make install)),
    of this collection's version or newer
options:
  executable:
    description:
      - The hostfit binary to run, a path or a name looked up in C(PATH).
    type: str
    default: hostfit
    aliases: [bin]
  config:
    description: A configuration file to read instead of /etc/hostfit/hostfit.conf under the root.
    type: path
  config_content:
    description:
      - The text of a configuration to use instead of /etc/hostfit/hostfit.conf
        (written to a temporary file on the host); with a role that is about to
        write hostfit.conf, check mode then plans with the new settings.
    type: str
'''

    # check and fix: which checks, and the profile.
    CHECKS = r'''
options:
  profile:
    description: The profile, overriding hostfit.conf.
    type: str
    choices: [production, development]
'''

    # check and incidents: they only read, in check mode as in a real run.
    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    details: It reads only; check mode runs it as usual.
  diff_mode:
    support: none
  platform:
    platforms: posix
'''
