// The OSV ecosystem strings under which a distro release's advisories are stored, from the image's os-release.
import type { OsInfo } from '../core/package.ts';

type Os = Pick<OsInfo, 'id' | 'versionId'> & { versionCodename?: string };

const major = (v: string): string => v.split('.')[0];
const majorMinor = (v: string): string => v.split('.').slice(0, 2).join('.');

/**
 * Candidate ecosystems for the OS, most specific first; empty when the OS is unknown or has no release to match.
 * Debian `Debian:<major>`; Ubuntu `Ubuntu:<ver>:LTS`, `Ubuntu:<ver>` and `Ubuntu:Pro:<ver>:LTS`; Alpine
 * `Alpine:v<major.minor>` (`Alpine:edge`); Wolfi, Chainguard; RPM distros `<Name>:<major>` (Red Hat, Rocky Linux,
 * AlmaLinux, CentOS, Oracle Linux), `Amazon Linux:<ver>`, `openSUSE:Leap <ver>`, `openSUSE:Tumbleweed`,
 * `SUSE:Linux Enterprise Server <ver>`, `Photon OS:<ver>`, `CBL-Mariner:<ver>`, `Azure Linux:<ver>`.
 */
export function osEcosystems(os: Os | undefined): string[] {
  if (!os) return [];
  const v = os.versionId.trim();
  switch (os.id) {
    case 'debian':
      return v ? [`Debian:${major(v)}`] : [];
    // Ubuntu's own OSV records name LTS releases `Ubuntu:22.04:LTS` (osv.dev also answers `Ubuntu:22.04`); fixes
    // published only to Ubuntu Pro (ESM) subscribers are under `Ubuntu:Pro:22.04:LTS`
    case 'ubuntu':
      return v ? [`Ubuntu:${majorMinor(v)}:LTS`, `Ubuntu:${majorMinor(v)}`, `Ubuntu:Pro:${majorMinor(v)}:LTS`] : [];
    case 'alpine':
      return v ? [/edge|_alpha|_beta/.test(v) ? 'Alpine:edge' : `Alpine:v${majorMinor(v)}`] : [];
    case 'wolfi':
      return ['Wolfi'];
    case 'chainguard':
      return ['Chainguard'];
    case 'rhel':
      return v ? [`Red Hat:${major(v)}`] : [];
    case 'rocky':
      return v ? [`Rocky Linux:${major(v)}`] : [];
    case 'almalinux':
      return v ? [`AlmaLinux:${major(v)}`] : [];
    case 'centos':
      return v ? [`CentOS:${major(v)}`] : [];
    case 'ol':
      return v ? [`Oracle Linux:${major(v)}`] : [];
    // Amazon Linux 1 releases are named by date (2018.03)
    case 'amzn':
      return v ? [`Amazon Linux:${/^\d{4}\.\d{2}$/.test(v) ? '1' : major(v)}`] : [];
    case 'opensuse-leap':
      return v ? [`openSUSE:Leap ${v}`] : [];
    case 'opensuse-tumbleweed':
      return ['openSUSE:Tumbleweed'];
    case 'sles':
    case 'sle-micro':
    case 'sl-micro':
      return v ? [`SUSE:Linux Enterprise Server ${v}`] : [];
    case 'photon':
      return v ? [`Photon OS:${majorMinor(v)}`] : [];
    case 'mariner':
      return v ? [`CBL-Mariner:${majorMinor(v)}`] : [];
    case 'azurelinux':
      return v ? [`Azure Linux:${majorMinor(v)}`] : [];
    default:
      return [];
  }
}

/** The package family an OS's packages belong to. */
export function osFamily(id: string | undefined): 'dpkg' | 'apk' | 'rpm' | undefined {
  if (!id) return undefined;
  if (id === 'debian' || id === 'ubuntu') return 'dpkg';
  if (id === 'alpine' || id === 'wolfi' || id === 'chainguard') return 'apk';
  if (
    [
      'rhel',
      'rocky',
      'almalinux',
      'centos',
      'ol',
      'amzn',
      'opensuse-leap',
      'opensuse-tumbleweed',
      'sles',
      'sle-micro',
      'sl-micro',
      'photon',
      'mariner',
      'azurelinux',
      'fedora',
    ].includes(id)
  )
    return 'rpm';
  return undefined;
}
