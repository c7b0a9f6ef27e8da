/**
 * Where a KYC session's images live on this server, and what each path serves. Built once per session at creation,
 * so the status body and the image endpoints agree and bytes are deterministic per (session, image).
 */
import { IMAGE_EXTENSIONS, IMAGE_SIZES, type ImageSpec } from './images';
import type { KycImageFault } from './script';
import type { FakeState, ImageEntry, KycCheck, KycTaskLayout } from './state';

const { kycFull: FULL_SIZE, kycThumb: THUMB_SIZE } = IMAGE_SIZES;

/** Fills `check.tasks` and registers every image path of the session in `state.images`. */
export function layoutKycSession(state: FakeState, check: KycCheck): void {
  const { script, checkId: sid } = check;
  const register = (path: string, entry: Omit<ImageEntry & { kind: 'image' }, 'check' | 'kind'>): string => {
    state.images.set(path, { check, kind: 'image', ...entry });
    return state.baseUrl + path;
  };
  const thumb = (path: string) => register(path, { spec: { format: 'jpeg', seed: path, ...THUMB_SIZE } });
  const full = (file: string, n: number, fault?: KycImageFault): string => {
    const format = script.imageFormats[n % script.imageFormats.length]!;
    const name = `${file}.${IMAGE_EXTENSIONS[format]}`;
    const path = `/images/kycfull/${sid}/${name}`;
    const spec: ImageSpec = { format, seed: path, ...FULL_SIZE, minBytes: script.imageBytes };
    switch (fault?.kind) {
      case 'url':
        return fault.url;
      case 'redirect-to':
        state.images.set(path, { check, kind: 'redirect', location: fault.location });
        return state.baseUrl + path;
      case 'redirect': {
        // path → /images/hop/<sid>/1/<name> → … → /images/kycfull/<sid>/moved/<name> (the image).
        const target = `/images/kycfull/${sid}/moved/${name}`;
        register(target, { spec });
        let next = target;
        for (let hop = fault.hops - 1; hop >= 1; hop--) {
          const hopPath = `/images/hop/${sid}/${hop}/${name}`;
          state.images.set(hopPath, { check, kind: 'redirect', location: state.baseUrl + next });
          next = hopPath;
        }
        state.images.set(path, { check, kind: 'redirect', location: state.baseUrl + next });
        return state.baseUrl + path;
      }
      default:
        return register(path, { spec, fault });
    }
  };

  const explicitFailure = script.tasks.some((task) => task.status === 'failed');
  const counters = { document: 0, selfie: 0 };
  let stamps = 0;
  script.tasks.forEach((task, taskIndex) => {
    const name = `${task.type}_${counters[task.type]++}`;
    const isLast = taskIndex === script.tasks.length - 1;
    const status = task.status ?? (script.outcome === 'failed' && !explicitFailure && isLast ? 'failed' : 'success');
    const faultOf = (n: number) => script.faults.images?.find((f) => f.task === taskIndex && f.image === n);
    const range = Array.from({ length: task.imagesFull }, (_, n) => n);
    const layout: KycTaskLayout = {
      name,
      type: task.type,
      status,
      imagesFull: range.map((n) => full(`${name}_${n}`, n, faultOf(n))),
      images: range.map((n) => thumb(`/images/kyc/${sid}/${name}/${n}`)),
      imageObjects: task.type === 'document' ? [thumb(`/images/kyc/${sid}/stamp/${stamps++}`)] : [],
      history: Array.from({ length: task.tries - 1 }, (_, i) => ({
        imagesFull: range.map((n) => full(`${name}_try${i + 1}_${n}`, n)),
        images: range.map((n) => thumb(`/images/kyc/${sid}/${name}_try${i + 1}/${n}`)),
      })),
      thumb: thumb(`/images/kycthumb/${sid}/${name}`),
      ...(task.type === 'selfie'
        ? {
            faceSelfie: thumb(`/images/kycthumb/${sid}/${name}/0`),
            faceDoc: thumb(`/images/kycthumb/${sid}/${name}_document/0`),
          }
        : {}),
    };
    if (task.type === 'selfie') thumb(`/images/kycthumb/${sid}/${name}_document`);
    check.tasks.push(layout);
  });
}

/** The thumbnail of a selfie's document-side face (second pair of the faces task). */
export function selfieDocumentThumb(state: FakeState, check: KycCheck, selfie: KycTaskLayout): string {
  return `${state.baseUrl}/images/kycthumb/${check.checkId}/${selfie.name}_document`;
}
