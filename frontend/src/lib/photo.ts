// Candidates' photos are scaled down on the tablet before they are sent: a
// ballot of 30 people then costs each tablet a few hundred KB, not 30 camera
// pictures (the server takes at most 1 MiB per photo).

import { enc, upload } from './api';
import type { Photo } from './types';

/** The longest side of a photo as sent. */
export const PHOTO_SIDE = 480;

/** fitWithin gives the size of w×h scaled down (never up) to fit side×side. */
export function fitWithin(w: number, h: number, side = PHOTO_SIDE): { w: number; h: number } {
  const k = Math.min(1, side / Math.max(w, h, 1));
  return { w: Math.max(1, Math.round(w * k)), h: Math.max(1, Math.round(h * k)) };
}

/** scalePhoto draws the picture at most PHOTO_SIDE a side as a JPEG. */
export async function scalePhoto(file: File): Promise<File> {
  const bmp = await createImageBitmap(file);
  const { w, h } = fitWithin(bmp.width, bmp.height);
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('canvas');
  g.fillStyle = '#fff'; // a transparent PNG gets a white background, not black
  g.fillRect(0, 0, w, h);
  g.drawImage(bmp, 0, 0, w, h);
  bmp.close();
  const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/jpeg', 0.85));
  if (!blob) throw new Error('encode');
  return new File([blob], 'photo.jpg', { type: 'image/jpeg' });
}

/** uploadPhoto scales the picture down and uploads it to the meeting. */
export async function uploadPhoto(mid: string, file: File, onProgress: (f: number) => void = () => {}): Promise<Photo> {
  let send = file;
  try {
    send = await scalePhoto(file);
  } catch {
    /* not a picture the browser can draw: the server says what is wrong */
  }
  return upload<Photo>(`/meetings/${enc(mid)}/photos`, send, onProgress);
}

export const photoURL = (mid: string, id: string) => `/api/v1/meetings/${enc(mid)}/photos/${enc(id)}`;
